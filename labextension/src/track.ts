// "Track this notebook": put the two lines that start tracking at the top of a notebook.
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';

export const TRACK_SOURCE = '%load_ext jupyter_mlops\n%mlops track';

/** Insert the tracking cell at the top of ``panel`` unless it is already there. */
export function trackNotebook(panel: NotebookPanel): boolean {
  const model = panel.content.model;
  if (model === null) {
    return false;
  }
  const first = model.cells.length ? model.cells.get(0).sharedModel.getSource() : '';
  if (first.includes('%load_ext jupyter_mlops') && first.includes('%mlops track')) {
    panel.content.activeCellIndex = 0;
    return false;
  }
  model.sharedModel.insertCell(0, { cell_type: 'code', source: TRACK_SOURCE });
  panel.content.activeCellIndex = 0;
  return true;
}

/** The notebook the command acts on: the one in focus. */
export function currentNotebook(tracker: INotebookTracker): NotebookPanel | null {
  return tracker.currentWidget;
}
