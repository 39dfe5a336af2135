// The Runs tab: a windowed list over the paginated runs API, with the filter language.
import * as React from 'react';

import { Badge, moving, runTone } from './badges';
import { searchRuns } from './client';
import { EmptyState, FilterForm } from './common';
import { ago, metric, plural } from './format';
import { type IChildRuns, displayRows, displayTotal } from './runTree';
import { ApiError } from './transport';
import type { RunPage, RunSummary } from './wire';

const PAGE = 100;
// Three lines: the name alone on the first, so a 250 px sidebar shows it whole.
const ROW = 62;
const OVERSCAN = 8;
const MAX_METRICS = 3;

export interface IRunsTabProps {
  openRun: (runId: string) => void;
  /** whether the sidebar is on screen (no polling while hidden) */
  shown: boolean;
  /** open the runs table in the main area */
  openTable?: () => void;
}

interface IListState {
  total: number | null;
  pages: Map<number, RunSummary[]>;
}

/** Runs newest first; only the rows in view are rendered, pages load as they scroll in. */
export function RunsTab(props: IRunsTabProps): React.JSX.Element {
  const [filter, setFilter] = React.useState('');
  const [error, setError] = React.useState<unknown>(null);
  const [list, setList] = React.useState<IListState>({ total: null, pages: new Map() });
  const [scrollTop, setScrollTop] = React.useState(0);
  const [height, setHeight] = React.useState(600);
  // Parents whose child runs show under them (a filter lists every match flat instead).
  const [expanded, setExpanded] = React.useState<Map<string, IChildRuns>>(new Map());
  const viewport = React.useRef<HTMLDivElement>(null);
  const inflight = React.useRef(new Set<number>());
  const generation = React.useRef(0);

  const first = Math.max(0, Math.floor(scrollTop / ROW) - OVERSCAN);
  const last = Math.ceil((scrollTop + height) / ROW) + OVERSCAN;
  // Rows on screen are parents (by their place in the search) and the children shown under
  // them: the pages to load are those of the parents in view.
  const inView = displayRows(list.pages, PAGE, expanded, first, last, list.total ?? 0);
  const roots = inView.map(r => r.root);
  const firstPage = Math.floor((roots.length ? Math.min(...roots) : first) / PAGE);
  const lastPage = Math.floor((roots.length ? Math.max(...roots) : last) / PAGE);

  const loadPage = React.useCallback(
    async (index: number, gen: number): Promise<RunPage | null> => {
      if (inflight.current.has(index)) {
        return null;
      }
      inflight.current.add(index);
      try {
        const page = await searchRuns({
          filter,
          limit: PAGE,
          offset: index * PAGE,
          roots_only: filter === ''
        });
        if (gen !== generation.current) {
          return null;
        }
        setError(null);
        setList(prev => {
          const pages = new Map(prev.pages);
          pages.set(index, page.items);
          return { total: page.total, pages };
        });
        return page;
      } catch (e) {
        if (gen === generation.current) {
          setError(e);
          // Mark the page as loaded (empty for a bad filter) so the view does not ask again
          // at once; the periodic refresh retries.
          const bad = e instanceof ApiError && e.status === 400;
          setList(prev => {
            const pages = new Map(bad ? [] : prev.pages);
            pages.set(index, bad ? [] : (prev.pages.get(index) ?? []));
            return { total: bad ? 0 : (prev.total ?? 0), pages };
          });
        }
        return null;
      } finally {
        inflight.current.delete(index);
      }
    },
    [filter]
  );

  // A new filter starts over from the top.
  React.useEffect(() => {
    generation.current += 1;
    inflight.current.clear();
    setList({ total: null, pages: new Map() });
    setExpanded(new Map());
    viewport.current?.scrollTo({ top: 0 });
    setScrollTop(0);
  }, [filter]);

  // Load the pages in view that are missing.
  React.useEffect(() => {
    for (let p = firstPage; p <= lastPage; p++) {
      const beyond = list.total !== null && p * PAGE >= list.total && p > 0;
      if (!list.pages.has(p) && !beyond) {
        void loadPage(p, generation.current);
      }
    }
  }, [firstPage, lastPage, list, loadPage]);

  // Refresh the pages in view: every 2 s while a run in view is running, else every 5 s.
  const visibleRef = React.useRef<RunSummary[]>([]);
  const listRef = React.useRef(list);
  listRef.current = list;
  React.useEffect(() => {
    if (!props.shown) {
      return;
    }
    let timer: number | undefined;
    let stopped = false;
    const tick = async () => {
      const gen = generation.current;
      for (let p = firstPage; p <= lastPage; p++) {
        if (p === 0 || listRef.current.pages.has(p)) {
          await loadPage(p, gen);
        }
      }
      if (!stopped) {
        const active = visibleRef.current.some(r => moving(r.status));
        timer = window.setTimeout(() => void tick(), active ? 2000 : 5000);
      }
    };
    timer = window.setTimeout(() => void tick(), 2000);
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
    // The loop reads the latest pages through loadPage; it restarts when the view moves.
  }, [props.shown, firstPage, lastPage, loadPage]);

  React.useEffect(() => {
    const el = viewport.current;
    if (!el) {
      return;
    }
    const observer = new ResizeObserver(() => {
      setHeight(el.clientHeight || 600);
    });
    observer.observe(el);
    setHeight(el.clientHeight || 600);
    return () => {
      observer.disconnect();
    };
  }, []);

  const toggle = (parent: RunSummary) => {
    const next = new Map(expanded);
    if (next.has(parent.run_id)) {
      next.delete(parent.run_id);
      setExpanded(next);
      return;
    }
    next.set(parent.run_id, { items: null, total: parent.children });
    setExpanded(next);
    const put = (value: IChildRuns | null) =>
      setExpanded(prev => {
        if (!prev.has(parent.run_id)) {
          return prev;
        }
        const after = new Map(prev);
        after.set(parent.run_id, value ?? { items: [], total: 0 });
        return after;
      });
    searchRuns({ filter: `parent_id = '${parent.run_id}'`, limit: PAGE })
      .then(page => put({ items: page.items, total: page.total }))
      .catch((e: unknown) => {
        setError(e);
        put(null);
      });
  };

  const total = displayTotal(list.total ?? 0, expanded);
  const rows: React.JSX.Element[] = [];
  const visible: RunSummary[] = [];
  for (const row of inView) {
    const top = row.index * ROW;
    const run = row.run;
    if (run) {
      visible.push(run);
    }
    rows.push(
      run ? (
        <RunRow
          key={run.run_id}
          run={run}
          top={top}
          open={props.openRun}
          child={row.child}
          expanded={expanded.get(run.run_id)}
          toggle={filter === '' ? toggle : undefined}
        />
      ) : (
        <div key={`loading-${row.index}`} className="jp-mlops-row jp-mlops-muted" style={{ top }}>
          …
        </div>
      )
    );
  }
  visibleRef.current = visible;

  return (
    <div className="jp-mlops-tab jp-mlops-runs">
      <FilterForm
        label="Filter runs"
        placeholder="metrics.auc > 0.9 and status = 'finished'"
        value={filter}
        apply={setFilter}
        error={error}
      />
      <div className="jp-mlops-count-line">
        <span className="jp-mlops-count jp-mlops-muted">
          {list.total === null ? 'Loading runs…' : plural(list.total, 'run')}
        </span>
        {props.openTable ? (
          <button
            className="jp-mlops-button jp-mlops-right"
            title="Open every run in a table in the main area: columns, sorting, bulk actions"
            onClick={props.openTable}
          >
            Open runs table
          </button>
        ) : null}
      </div>
      {list.total === 0 && !error ? (
        <EmptyState>
          {filter ? (
            'No run matches this filter.'
          ) : (
            <>
              No runs yet: press <b>Track</b> in a notebook&apos;s toolbar, or run a cell under{' '}
              <code>%%mlops track</code>.
            </>
          )}
        </EmptyState>
      ) : null}
      <div
        className="jp-mlops-viewport"
        ref={viewport}
        onScroll={e => {
          setScrollTop(e.currentTarget.scrollTop);
        }}
      >
        <div className="jp-mlops-canvas" style={{ height: total * ROW }}>
          {rows}
        </div>
      </div>
    </div>
  );
}

function RunRow(props: {
  run: RunSummary;
  top: number;
  open: (id: string) => void;
  /** whether it shows under its parent */
  child: boolean;
  /** its children while shown */
  expanded?: IChildRuns;
  toggle?: (run: RunSummary) => void;
}): React.JSX.Element {
  const { run, toggle, expanded } = props;
  const metrics = Object.entries(run.metrics).slice(0, MAX_METRICS);
  const shown = expanded?.items?.length ?? 0;
  return (
    <div
      className={`jp-mlops-row jp-mlops-run${props.child ? ' jp-mlops-child-run' : ''}`}
      style={{ top: props.top }}
      data-run-id={run.run_id}
      role="button"
      tabIndex={0}
      title={`${run.run_id} — open`}
      onClick={() => {
        props.open(run.run_id);
      }}
      onKeyDown={e => {
        if (e.key === 'Enter') {
          props.open(run.run_id);
        }
      }}
    >
      <div className="jp-mlops-row-line">
        {props.child ? <span className="jp-mlops-tree-leaf">└</span> : null}
        <span className="jp-mlops-run-name" title={run.name || run.short_id}>
          {run.name || run.short_id}
        </span>
        {toggle && run.children > 0 ? (
          <button
            className="jp-mlops-tree-toggle jp-mlops-right"
            aria-expanded={expanded !== undefined}
            title={
              expanded
                ? 'Hide its child runs'
                : `Show its child runs (pipeline steps, search candidates)`
            }
            onClick={e => {
              e.stopPropagation();
              toggle(run);
            }}
            onKeyDown={e => e.stopPropagation()}
          >
            {expanded ? '▾' : '▸'} {plural(run.children, 'child run')}
            {expanded?.items && shown < run.children ? ` (${shown} shown)` : ''}
          </button>
        ) : null}
      </div>
      <div className="jp-mlops-row-line">
        <Badge text={run.status} tone={runTone(run.status)} />
        <span className="jp-mlops-muted jp-mlops-experiment" title={run.experiment}>
          {run.experiment}
        </span>
        <span className="jp-mlops-muted jp-mlops-right">{ago(run.start_time)}</span>
      </div>
      <div className="jp-mlops-row-line jp-mlops-muted">
        {metrics.length === 0 ? <span>no metrics</span> : null}
        {metrics.map(([key, value]) => (
          <span key={key} className="jp-mlops-metric" data-metric={key} title={key}>
            <span className="jp-mlops-metric-key">{key}</span>{' '}
            <b className="jp-mlops-metric-value">{metric(value)}</b>
          </span>
        ))}
      </div>
    </div>
  );
}
