// Opening what the run page links to: a notebook at one of the run's cells.
import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { NotebookPanel } from '@jupyterlab/notebook';

/** A recorded cell to find in the notebook: its source and the execution count it had. */
export interface ICellRef {
  source: string;
  executionCount: number | null;
}

function normalized(source: string): string {
  return source.replace(/\r\n/g, '\n').trim();
}

/**
 * The index of the notebook cell that ran ``cell``: the same source (the one with the same
 * execution count first), else the cell with that execution count; -1 when none matches.
 */
export function findCell(
  cells: readonly { source: string; executionCount: number | null }[],
  cell: ICellRef
): number {
  const wanted = normalized(cell.source);
  const same = cells.map((c, i) => ({ c, i })).filter(({ c }) => normalized(c.source) === wanted);
  const exact = same.find(({ c }) => c.executionCount === cell.executionCount);
  if (exact) {
    return exact.i;
  }
  if (same.length) {
    return same[0].i;
  }
  if (cell.executionCount !== null) {
    return cells.findIndex(c => c.executionCount === cell.executionCount);
  }
  return -1;
}

/** Open the notebook at ``path`` and make the cell that ran ``cell`` active, scrolled to. */
export async function openNotebookAtCell(
  app: JupyterFrontEnd,
  path: string,
  cell: ICellRef
): Promise<boolean> {
  const panel = (await app.commands.execute('docmanager:open', { path })) as
    NotebookPanel | undefined;
  if (!panel?.content) {
    return false;
  }
  await panel.context.ready;
  await panel.revealed;
  const notebook = panel.content;
  const cells = notebook.widgets.map(w => {
    const count = (w.model as { executionCount?: number | null }).executionCount;
    return { source: w.model.sharedModel.getSource(), executionCount: count ?? null };
  });
  const index = findCell(cells, cell);
  if (index < 0) {
    return false;
  }
  notebook.activeCellIndex = index;
  notebook.mode = 'command';
  app.shell.activateById(panel.id);
  await notebook.scrollToCell(notebook.widgets[index], 'center');
  return true;
}
