// What the run page can open elsewhere in JupyterLab (given by the plugin).
import type { ICellRef } from './runPageOpen';

export interface IRunPageActions {
  /** Open a file of the server's root. */
  openPath: (path: string) => void;
  /** Open another run's page. */
  openRun: (runId: string) => void;
  /** Open a notebook of the server's root at the cell that ran ``cell``. */
  openAtCell: (path: string, cell: ICellRef) => void;
  /** Open the notebook a run recorded, read-only, in a tab of its own. */
  openRecordedNotebook: (runId: string, title: string) => void;
  /** Open a dataset version in a tab of its own. */
  openDataset: (name: string, version: number) => void;
  /** Show a model version in the sidebar's Models tab. */
  openModel: (name: string, version: number) => void;
  /** Show the pipeline runs in the sidebar's Pipelines tab. */
  openPipelines: () => void;
}
