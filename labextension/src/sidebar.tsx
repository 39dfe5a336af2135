// The left sidebar: one panel, five tabs.
import { LabIcon, ReactWidget } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import * as React from 'react';

import { ModelsTab } from './models';
import { MonitorsTab } from './monitors';
import { PipelinesTab } from './pipelines';
import { RunsTab } from './runs';
import { SchedulesTab } from './schedules';

export const mlopsIcon = new LabIcon({
  name: 'jupyter-mlops:icon',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16"><g class="jp-icon3" fill="#616161">' +
    '<rect x="3" y="13" width="4" height="8" rx="1"/><rect x="10" y="8" width="4" height="13" rx="1"/>' +
    '<rect x="17" y="3" width="4" height="18" rx="1"/></g></svg>'
});

export const TABS = ['Runs', 'Models', 'Pipelines', 'Schedules', 'Monitors'] as const;
export type TabName = (typeof TABS)[number];

/** Whether ``name`` is one of the sidebar's tabs. */
export function isTab(name: string): name is TabName {
  return (TABS as readonly string[]).includes(name);
}

export interface ISidebarActions {
  openRun: (runId: string) => void;
  openPath: (path: string) => void;
  /** Open the runs table in the main area. */
  openRunsTable?: () => void;
}

/** The MLOps panel of the left sidebar. */
export class MlopsSidebar extends ReactWidget {
  private shown = false;
  private tab: TabName = 'Runs';

  constructor(private readonly actions: ISidebarActions) {
    super();
    this.id = 'jupyter-mlops-sidebar';
    this.addClass('jp-mlops-panel');
    this.title.icon = mlopsIcon;
    this.title.caption = 'MLOps: runs, models, pipelines, schedules, monitors';
  }

  /** Show ``tab`` (the sidebar itself is shown by the shell). */
  select(tab: TabName): void {
    this.tab = tab;
    this.update();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.shown = true;
    this.update();
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.shown = false;
    this.update();
  }

  protected render(): React.JSX.Element {
    const shown = this.shown;
    const { openRun, openPath, openRunsTable } = this.actions;
    let body: React.JSX.Element;
    switch (this.tab) {
      case 'Runs':
        body = <RunsTab shown={shown} openRun={openRun} openTable={openRunsTable} />;
        break;
      case 'Models':
        body = <ModelsTab shown={shown} openRun={openRun} />;
        break;
      case 'Pipelines':
        body = <PipelinesTab shown={shown} open={openPath} />;
        break;
      case 'Schedules':
        body = <SchedulesTab shown={shown} open={openPath} openRun={openRun} />;
        break;
      case 'Monitors':
        body = <MonitorsTab shown={shown} />;
        break;
    }
    return (
      <>
        <div className="jp-mlops-tabs" role="tablist" aria-label="MLOps">
          {TABS.map(name => (
            <button
              key={name}
              role="tab"
              aria-selected={this.tab === name}
              className={`jp-mlops-tabbutton${this.tab === name ? ' jp-mod-current' : ''}`}
              onClick={() => this.select(name)}
            >
              {name}
            </button>
          ))}
        </div>
        {shown ? body : null}
      </>
    );
  }
}
