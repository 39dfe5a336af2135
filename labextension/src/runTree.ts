// The sidebar's runs as a tree: parents in search order, the children of the expanded ones
// right under them, mapped to the fixed-height rows of a windowed list.
import type { RunSummary } from './wire';

/** The children shown under one parent: null while they load; ``total`` as counted. */
export interface IChildRuns {
  items: RunSummary[] | null;
  total: number;
}

/** One row of the list: its place, the parent's place in the search, the run if loaded. */
export interface IDisplayRow {
  index: number;
  root: number;
  run: RunSummary | null;
  child: boolean;
}

function shownCount(children: IChildRuns): number {
  return children.items?.length ?? 0;
}

/** How many rows the list has: the parents, and the children shown. */
export function displayTotal(roots: number, expanded: Map<string, IChildRuns>): number {
  let total = roots;
  for (const children of expanded.values()) {
    total += shownCount(children);
  }
  return total;
}

/**
 * The rows ``first`` to ``last`` (exclusive) of the list. Parents are found in the loaded
 * ``pages`` (of ``size`` runs each); an expanded parent not on a loaded page shows nothing
 * under it (its page loads as it scrolls into view).
 */
export function displayRows(
  pages: Map<number, RunSummary[]>,
  size: number,
  expanded: Map<string, IChildRuns>,
  first: number,
  last: number,
  roots: number
): IDisplayRow[] {
  // The expanded parents' places, in order.
  const open: { root: number; items: RunSummary[] }[] = [];
  if (expanded.size) {
    for (const [page, items] of pages) {
      items.forEach((run, i) => {
        const children = expanded.get(run.run_id);
        if (children && shownCount(children)) {
          open.push({ root: page * size + i, items: children.items ?? [] });
        }
      });
    }
    open.sort((a, b) => a.root - b.root);
  }
  const runAt = (root: number) => pages.get(Math.floor(root / size))?.[root % size] ?? null;
  const rows: IDisplayRow[] = [];
  const total = displayTotal(roots, expanded);
  let before = 0; // children shown above the current parent
  let k = 0;
  for (let index = first; index < Math.min(last, total); index++) {
    // Skip the expanded parents (and their children) wholly above this row.
    while (k < open.length && open[k].root + before + open[k].items.length < index) {
      before += open[k].items.length;
      k++;
    }
    const parent = k < open.length ? open[k] : null;
    if (
      parent !== null &&
      index > parent.root + before &&
      index <= parent.root + before + parent.items.length
    ) {
      const child = parent.items[index - parent.root - before - 1];
      rows.push({ index, root: parent.root, run: child, child: true });
    } else {
      const root = index - before;
      if (root < roots) {
        rows.push({ index, root, run: runAt(root), child: false });
      }
    }
  }
  return rows;
}
