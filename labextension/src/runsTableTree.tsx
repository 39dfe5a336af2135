// The runs table as a tree: parents on the page, the children of the expanded ones loaded on
// demand and shown indented under them, with a note when more children exist than shown.
import * as React from 'react';

import { searchRuns } from './client';
import { ErrorLine } from './common';
import type { RunPage, RunQuery, RunSummary } from './wire';

const CHILD_PAGE = 100;

/** One parent's children: ``page`` is null while they load (or when loading failed). */
export interface IChildren {
  page: RunPage | null;
  error: unknown;
}

export interface IChildRuns {
  /** The parents whose children are shown. */
  expanded: Set<string>;
  children: Map<string, IChildren>;
  /** Show or hide a parent's children (showing loads them). */
  toggle: (parent: string) => void;
  /** Read the shown children again (after runs changed). */
  reload: () => void;
}

/** The children of expanded parents, sorted by ``order`` and of ``lifecycle`` as the page is. */
export function useChildRuns(order: string[], lifecycle: RunQuery['lifecycle']): IChildRuns {
  const [expanded, setExpanded] = React.useState<Set<string>>(new Set());
  const [children, setChildren] = React.useState<Map<string, IChildren>>(new Map());

  const loadChildren = React.useCallback(
    async (parent: string) => {
      setChildren(prev => new Map(prev).set(parent, { page: null, error: null }));
      try {
        const found = await searchRuns({
          filter: `parent_id = '${parent}'`,
          order_by: order,
          limit: CHILD_PAGE,
          lifecycle
        });
        setChildren(prev => new Map(prev).set(parent, { page: found, error: null }));
      } catch (error) {
        setChildren(prev => new Map(prev).set(parent, { page: null, error }));
      }
    },
    [order, lifecycle]
  );

  // A new order sorts the open children too.
  React.useEffect(() => {
    for (const parent of expanded) {
      void loadChildren(parent);
    }
    // Only a new order reloads them (expanding loads one itself).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [loadChildren]);

  const toggle = (parent: string) => {
    const next = new Set(expanded);
    if (next.has(parent)) {
      next.delete(parent);
    } else {
      next.add(parent);
      void loadChildren(parent);
    }
    setExpanded(next);
  };
  const reload = () => {
    for (const parent of expanded) {
      void loadChildren(parent);
    }
  };
  return { expanded, children, toggle, reload };
}

export interface ITreeRow {
  run: RunSummary;
  depth: number;
}

export interface ITreeRows {
  rows: ITreeRow[];
  /** A note under the row of this run id (the last shown of a parent's children), if any. */
  notes: Map<string, React.ReactNode>;
}

/**
 * The rows of a page: each parent, then its children while expanded. ``pageThrough(parent)``
 * lists all of a parent's children when more exist than are shown under it.
 */
export function treeRows(
  parents: RunSummary[],
  tree: IChildRuns,
  pageThrough: (parent: string) => void
): ITreeRows {
  const rows: ITreeRow[] = [];
  const notes = new Map<string, React.ReactNode>();
  for (const run of parents) {
    rows.push({ run, depth: 0 });
    if (run.children > 0 && tree.expanded.has(run.run_id)) {
      const loaded = tree.children.get(run.run_id);
      for (const child of loaded?.page?.items ?? []) {
        rows.push({ run: child, depth: 1 });
      }
      notes.set(rows[rows.length - 1].run.run_id, childNote(run, loaded, pageThrough));
    }
  }
  return { rows, notes };
}

function childNote(
  run: RunSummary,
  loaded: IChildren | undefined,
  pageThrough: (parent: string) => void
): React.ReactNode {
  const shown = loaded?.page?.items.length ?? 0;
  return loaded?.error ? (
    <ErrorLine error={loaded.error} />
  ) : loaded?.page === null || loaded === undefined ? (
    'Loading child runs…'
  ) : shown < run.children ? (
    <>
      {shown} of {run.children} child runs shown:{' '}
      <button className="jp-mlops-link" onClick={() => pageThrough(run.run_id)}>
        page through all of them
      </button>
    </>
  ) : null;
}

/** Whether a selected run shown on the page (or under a parent) is deleted. */
export function rowsDeleted(
  selected: Set<string>,
  page: RunPage | null,
  children: Map<string, IChildren>
): boolean {
  const runs = [
    ...(page?.items ?? []),
    ...[...children.values()].flatMap(c => c.page?.items ?? [])
  ];
  return runs.some(r => r.deleted_at !== null && selected.has(r.run_id));
}

/** The name cell: the toggle of a parent's children (or a leaf mark), and the run's link. */
export function NameCell(props: {
  run: RunSummary;
  depth: number;
  tree: boolean;
  open: boolean;
  toggle: () => void;
  openRun: (id: string) => void;
}): React.JSX.Element {
  const { run } = props;
  return (
    <div className="jp-mlops-name-cell" style={{ paddingLeft: props.depth * 20 }}>
      {/* One slot for the toggle on every row, so names line up by depth. */}
      <span className={props.tree ? 'jp-mlops-tree-slot' : 'jp-mlops-tree-none'}>
        {run.children > 0 ? (
          <button
            className="jp-mlops-tree-toggle"
            aria-expanded={props.open}
            title={props.open ? 'Hide its child runs' : 'Show its child runs'}
            onClick={props.toggle}
          >
            {props.open ? '▾' : '▸'} {run.children.toLocaleString('en-US')}
          </button>
        ) : props.depth ? (
          <span className="jp-mlops-tree-leaf">└</span>
        ) : null}
      </span>
      <button
        className="jp-mlops-link jp-mlops-run-link"
        title={`${run.run_id}: open`}
        onClick={() => props.openRun(run.run_id)}
      >
        {run.name || run.short_id}
      </button>
    </div>
  );
}
