// A run in the main area: the run page in a lab tab titled by the run's name.
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { RunPage } from './runPage';
import type { IRunPageActions } from './runPageActions';
import type { RunDetail } from './wire';

/** The main-area view of one run (refreshes while the run is running). */
export class RunDetailWidget extends ReactWidget {
  constructor(
    readonly runId: string,
    private readonly actions: IRunPageActions
  ) {
    super();
    this.addClass('jp-mlops-detail');
    this.title.label = `Run ${runId.slice(0, 8)}`;
  }

  /** Name the tab after the run once it is known (the shell's tab follows this title). */
  private readonly loaded = (run: RunDetail): void => {
    this.title.label = run.name || run.short_id;
    this.title.caption = `Run ${run.name} (${run.short_id}) of ${run.experiment}`;
  };

  protected render(): React.JSX.Element {
    return <RunPage runId={this.runId} actions={this.actions} loaded={this.loaded} />;
  }
}
