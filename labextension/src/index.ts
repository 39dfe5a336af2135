// jupyter_mlops in JupyterLab: the MLOps sidebar, run views, and "Track this notebook".
import {
  ILayoutRestorer,
  type JupyterFrontEnd,
  type JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  MainAreaWidget,
  ToolbarButton,
  showErrorMessage
} from '@jupyterlab/apputils';
import type { DocumentRegistry } from '@jupyterlab/docregistry';
import { type INotebookModel, INotebookTracker, type NotebookPanel } from '@jupyterlab/notebook';
import type { IDisposable } from '@lumino/disposable';

import { focusModel } from './models';
import { RunDetailWidget } from './rundetail';
import type { IRunPageActions } from './runPageActions';
import { openNotebookAtCell } from './runPageOpen';
import { DatasetVersionWidget, RecordedNotebookWidget } from './runPageViews';
import { type ICompareScope, RunsCompareWidget } from './runsCompare';
import { RunsTableWidget } from './runsTable';
import { MlopsSidebar, isTab, mlopsIcon } from './sidebar';
import { openScheduleDialog } from './scheduleDialog';
import { currentNotebook, trackNotebook } from './track';

const PLUGIN_ID = 'jupyter-mlops-labextension:plugin';

export const CommandIDs = {
  track: 'jupyter-mlops:track-notebook',
  openSidebar: 'jupyter-mlops:open-sidebar',
  openRun: 'jupyter-mlops:open-run',
  openRunsTable: 'jupyter-mlops:open-runs-table',
  /** Compare runs (args ``runIds``, ``scope``); a richer compare view may register it first. */
  compareRuns: 'jupyter-mlops:compare-runs',
  scheduleNotebook: 'jupyter-mlops:schedule-notebook'
} as const;

/** The toolbar button every notebook gets. */
class TrackButtonExtension implements DocumentRegistry.IWidgetExtension<
  NotebookPanel,
  INotebookModel
> {
  constructor(private readonly app: JupyterFrontEnd) {}

  createNew(panel: NotebookPanel): IDisposable {
    const button = new ToolbarButton({
      className: 'jp-mlops-track-button',
      icon: mlopsIcon,
      label: 'Track',
      tooltip: 'Track this notebook (inserts %load_ext jupyter_mlops and %mlops track at the top)',
      onClick: () => {
        void this.app.commands.execute(CommandIDs.track);
      }
    });
    panel.toolbar.insertItem(10, 'mlopsTrack', button);
    return button;
  }
}

/** "Schedule" on every notebook's toolbar: create a schedule of this notebook. */
class ScheduleButtonExtension implements DocumentRegistry.IWidgetExtension<
  NotebookPanel,
  INotebookModel
> {
  constructor(private readonly created: () => void) {}

  createNew(panel: NotebookPanel): IDisposable {
    const button = new ToolbarButton({
      className: 'jp-mlops-schedule-button',
      label: 'Schedule',
      tooltip: 'Run this notebook on a schedule (cron, timezone, parameters)',
      onClick: () => {
        openScheduleDialog(panel, this.created); // this notebook, not the one focused last
      }
    });
    panel.toolbar.insertItem(11, 'mlopsSchedule', button);
    return button;
  }
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'jupyter_mlops: runs, models, pipelines, schedules and monitors in a sidebar.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null
  ) => {
    const openNotebook = async (path: string) => {
      // Outputs live in mlops-runs/ now; older runs kept them in the hidden .mlops-runs/, which
      // Jupyter refuses to serve unless told.
      if (path.split('/').some(part => part.startsWith('.'))) {
        try {
          await app.serviceManager.contents.get(path, { content: false });
        } catch {
          void showErrorMessage(
            'Cannot open a notebook in a hidden folder',
            `${path} is in a hidden folder, which this Jupyter server does not serve. ` +
              'Start it with --ContentsManager.allow_hidden=True to open output notebooks.'
          );
          return;
        }
      }
      await app.commands.execute('docmanager:open', { path });
    };
    const openPath = (path: string) => void openNotebook(path);
    // One tab per thing shown (a run, a recorded notebook, a dataset version): opening it
    // again brings its tab forward.
    const tabs = new Map<string, MainAreaWidget>();
    const openTab = (id: string, make: () => MainAreaWidget) => {
      const existing = tabs.get(id);
      if (existing && !existing.isDisposed) {
        app.shell.activateById(existing.id);
        return;
      }
      const view = make();
      view.id = id;
      view.title.icon = mlopsIcon;
      view.title.closable = true;
      tabs.set(id, view);
      view.disposed.connect(() => tabs.delete(id));
      app.shell.add(view, 'main');
      app.shell.activateById(view.id);
    };
    const openRun = (runId: string) => {
      // The tab takes the run's name from its content once the run is loaded.
      openTab(
        `jupyter-mlops-run-${runId}`,
        () => new MainAreaWidget({ content: new RunDetailWidget(runId, runPageActions) })
      );
    };
    const runPageActions: IRunPageActions = {
      openPath,
      openRun,
      openAtCell: (path, cell) => {
        void openNotebookAtCell(app, path, cell).then(found => {
          if (!found) {
            void showErrorMessage(
              'Cell not found',
              `${path} no longer has the cell this run executed (edited or deleted since).`
            );
          }
        });
      },
      openRecordedNotebook: (runId, title) => {
        openTab(`jupyter-mlops-notebook-${runId}`, () => {
          const view = new MainAreaWidget({ content: new RecordedNotebookWidget(runId) });
          view.title.label = `${title} · notebook (read-only)`;
          return view;
        });
      },
      openDataset: (name, version) => {
        openTab(`jupyter-mlops-dataset-${name}-${version}`, () => {
          const view = new MainAreaWidget({
            content: new DatasetVersionWidget(name, version, openRun)
          });
          view.title.label = `${name} v${version}`;
          return view;
        });
      },
      openModel: (name, version) => {
        sidebar.select('Models');
        app.shell.activateById(sidebar.id);
        focusModel(name, version);
      },
      openPipelines: () => {
        sidebar.select('Pipelines');
        app.shell.activateById(sidebar.id);
      }
    };

    const compare = (runIds: string[], scope: ICompareScope | null = null) => {
      if (app.commands.hasCommand(CommandIDs.compareRuns)) {
        void app.commands.execute(CommandIDs.compareRuns, {
          runIds,
          scope: scope ? { ...scope } : null
        });
        return;
      }
      const view = new MainAreaWidget({ content: new RunsCompareWidget(runIds, scope) });
      view.id = `jupyter-mlops-compare-${Date.now()}`;
      view.title.label = `Compare ${runIds.length} runs`;
      view.title.icon = mlopsIcon;
      view.title.closable = true;
      app.shell.add(view, 'main');
      app.shell.activateById(view.id);
    };
    let runsTable: MainAreaWidget<RunsTableWidget> | null = null;
    const openRunsTable = () => {
      if (runsTable === null || runsTable.isDisposed) {
        const view = new MainAreaWidget({
          content: new RunsTableWidget({ openRun, compare })
        });
        view.id = 'jupyter-mlops-runs-table';
        view.title.label = 'Runs';
        view.title.caption = 'MLOps: every run of the store, as a table';
        view.title.icon = mlopsIcon;
        view.title.closable = true;
        app.shell.add(view, 'main');
        runsTable = view;
      }
      app.shell.activateById(runsTable.id);
    };

    const sidebar = new MlopsSidebar({ openRun, openPath, openRunsTable });
    app.shell.add(sidebar, 'left', { rank: 850 });
    if (restorer) {
      restorer.add(sidebar, sidebar.id);
    }

    app.commands.addCommand(CommandIDs.track, {
      label: 'Track this notebook',
      caption: 'Insert %load_ext jupyter_mlops and %mlops track at the top of the notebook',
      icon: mlopsIcon,
      isEnabled: () => notebooks.currentWidget !== null,
      execute: () => {
        const panel = currentNotebook(notebooks);
        if (panel !== null) {
          trackNotebook(panel);
        }
      }
    });
    app.commands.addCommand(CommandIDs.openSidebar, {
      label: args =>
        typeof args.tab === 'string' ? `MLOps: show ${args.tab}` : 'MLOps: show the sidebar',
      execute: args => {
        const tab = typeof args.tab === 'string' ? args.tab : 'Runs';
        if (isTab(tab)) {
          sidebar.select(tab);
        }
        app.shell.activateById(sidebar.id);
      }
    });
    app.commands.addCommand(CommandIDs.openRun, {
      label: 'MLOps: open a run',
      execute: args => {
        if (typeof args.runId === 'string') {
          openRun(args.runId);
        }
      }
    });
    app.commands.addCommand(CommandIDs.openRunsTable, {
      label: 'MLOps: open the runs table',
      caption: 'Every run in a table: sort, choose columns, select, compare, tag',
      icon: mlopsIcon,
      execute: openRunsTable
    });
    const showSchedules = () => {
      sidebar.select('Schedules');
      app.shell.activateById(sidebar.id);
    };
    app.commands.addCommand(CommandIDs.scheduleNotebook, {
      label: 'Schedule this notebook',
      caption: 'Run this notebook on a cron schedule, with a preview of its next runs',
      isEnabled: () => notebooks.currentWidget !== null,
      execute: () => {
        const panel = currentNotebook(notebooks);
        if (panel !== null) {
          openScheduleDialog(panel, showSchedules);
        }
      }
    });
    if (palette) {
      palette.addItem({ command: CommandIDs.scheduleNotebook, category: 'MLOps' });
      palette.addItem({ command: CommandIDs.openRunsTable, category: 'MLOps' });
      palette.addItem({ command: CommandIDs.track, category: 'MLOps' });
      palette.addItem({ command: CommandIDs.openSidebar, category: 'MLOps' });
    }
    app.docRegistry.addWidgetExtension('Notebook', new TrackButtonExtension(app));
    app.docRegistry.addWidgetExtension('Notebook', new ScheduleButtonExtension(showSchedules));
  }
};

export default plugin;
