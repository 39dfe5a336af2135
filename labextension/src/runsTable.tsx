// The runs table in the main area: experiment picker, sortable and resizable columns, a column
// chooser, parent/child runs as a tree, row selection and bulk actions, a page at a time.
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { Badge, moving, runTone } from './badges';
import { deleteRuns, listExperiments, restoreRuns, runKeys, searchRuns, tagRuns } from './client';
import { ErrorLine, useApi } from './common';
import { ago, duration, metric, plural } from './format';
import type { ICompareScope } from './runsCompare';
import { RunsFilterBox } from './runsFilter';
import { quoteKey, splitOrderBy } from './runsQuery';
import type { RunKeys, RunPage, RunSummary } from './wire';

/** Runs per page: the server reads one page (offset/limit), never all runs. */
export const PAGE_SIZE = 100;
const CHILD_PAGE = 100;
const DEFAULT_METRICS = 5;
const DEFAULT_PARAMS = 3;
const RUNNING_MS = 2000;
const MIN_WIDTH = 48;

export interface IRunsTableActions {
  openRun: (runId: string) => void;
  /** Compare these runs (two or more); ``scope``: the runs the table shows, for the plots across runs. */
  compare: (runIds: string[], scope: ICompareScope) => void;
}

/** The main-area widget (``MLOps: open the runs table``). */
export class RunsTableWidget extends ReactWidget {
  constructor(private readonly actions: IRunsTableActions) {
    super();
    this.addClass('jp-mlops-runs-table-widget');
  }

  protected render(): React.JSX.Element {
    return <RunsTable {...this.actions} />;
  }
}

interface IColumn {
  /** the sort key and the column's id: ``name``, ``metrics.auc``, ``params.C`` ... */
  key: string;
  label: string;
  value: (run: RunSummary) => React.ReactNode;
  title?: (run: RunSummary) => string;
  width: number;
}

const FIXED: IColumn[] = [
  { key: 'name', label: 'Name', value: () => null, width: 260 },
  {
    key: 'status',
    label: 'Status',
    value: r =>
      r.deleted_at !== null ? (
        <Badge text="deleted" tone="neutral" />
      ) : (
        <Badge text={r.status} tone={runTone(r.status)} />
      ),
    width: 90
  },
  { key: 'experiment', label: 'Experiment', value: r => r.experiment, width: 120 },
  {
    key: 'start_time',
    label: 'Started',
    value: r => ago(r.start_time),
    title: r => new Date(r.start_time * 1000).toISOString(),
    width: 150
  },
  { key: 'duration', label: 'Duration', value: r => duration(r.duration), width: 90 }
];

function dataColumn(id: string): IColumn {
  const dot = id.indexOf('.');
  const group = id.slice(0, dot) as 'metrics' | 'params' | 'tags';
  const key = id.slice(dot + 1);
  const show = (r: RunSummary): string => {
    if (group === 'metrics') {
      return key in r.metrics ? metric(r.metrics[key]) : '';
    }
    return r[group][key] ?? '';
  };
  return {
    key: quoteKey(group, key),
    label: key,
    value: show,
    title: r => `${id} = ${show(r)}`,
    width: group === 'metrics' ? 100 : 120
  };
}

/** The default columns: the first few metrics, then params, the store has. */
function defaultColumns(keys: RunKeys | null): string[] {
  if (keys === null) {
    return [];
  }
  return [
    ...keys.metrics.slice(0, DEFAULT_METRICS).map(k => `metrics.${k}`),
    ...keys.params.slice(0, DEFAULT_PARAMS).map(k => `params.${k}`)
  ];
}

/** The first sort key and whether it is descending (the default: newest first). */
function sortOf(order: string[]): [string, boolean] {
  const match = /^(.*?)(?:\s+(asc|desc))?$/i.exec((order[0] ?? 'start_time desc').trim());
  return [match?.[1] ?? 'start_time', (match?.[2] ?? 'asc').toLowerCase() === 'desc'];
}

/** Whether a selected run shown on the page (or under a parent) is deleted. */
function rowsDeleted(
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

interface IChildren {
  page: RunPage | null;
  error: unknown;
}

function RunsTable(props: IRunsTableActions): React.JSX.Element {
  const [experiment, setExperiment] = React.useState('');
  const [text, setText] = React.useState('');
  const [orderBy, setOrderBy] = React.useState<string[]>([]);
  const [pageIndex, setPageIndex] = React.useState(0);
  const [chosen, setChosen] = React.useState<string[] | null>(null);
  const [widths, setWidths] = React.useState<Record<string, number>>({});
  const [selected, setSelected] = React.useState<Set<string>>(new Set());
  const [expanded, setExpanded] = React.useState<Set<string>>(new Set());
  const [children, setChildren] = React.useState<Map<string, IChildren>>(new Map());
  const [chooser, setChooser] = React.useState(false);
  const [tagging, setTagging] = React.useState(false);
  const [message, setMessage] = React.useState('');
  const [actionError, setActionError] = React.useState<unknown>(null);
  const [showDeleted, setShowDeleted] = React.useState(false);
  const lifecycle = showDeleted ? 'all' : 'active';

  const { filter, orderBy: typedOrder } = splitOrderBy(text);
  // One text (the service splits it at commas), so hooks can compare it.
  const orderText = (orderBy.length ? orderBy : typedOrder).join(', ');
  const order = React.useMemo(() => (orderText ? [orderText] : []), [orderText]);

  const experiments = useApi(signal => listExperiments({ signal }), []);
  const keys = useApi(
    signal => runKeys({ experiment: experiment ? [experiment] : [] }, { signal }),
    [experiment]
  );
  const page = useApi(
    signal =>
      searchRuns(
        {
          filter,
          experiment: experiment ? [experiment] : [],
          order_by: order,
          limit: PAGE_SIZE,
          offset: pageIndex * PAGE_SIZE,
          // The tree: parents on the pages, their children under them on demand. A filter
          // searches every run, children too (a search result is flat).
          roots_only: filter === '',
          lifecycle
        },
        { signal }
      ),
    [filter, experiment, order, pageIndex, lifecycle],
    { poll: answer => (answer?.items.some(r => moving(r.status)) ? RUNNING_MS : null) }
  );

  const columnIds = chosen ?? defaultColumns(keys.data);
  const columns = [...FIXED, ...columnIds.map(dataColumn)];
  const widthOf = (c: IColumn) => widths[c.key] ?? c.width;
  const total = page.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));

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

  const [sortKey, sortDesc] = sortOf(order);
  const sortBy = (key: string) => {
    const descending = sortKey === key ? !sortDesc : key !== 'name';
    setOrderBy([`${key} ${descending ? 'desc' : 'asc'}`]);
    setPageIndex(0);
  };

  const select = (ids: string[], on: boolean) => {
    const next = new Set(selected);
    for (const id of ids) {
      if (on) {
        next.add(id);
      } else {
        next.delete(id);
      }
    }
    setSelected(next);
  };

  // The rows of this page: each parent, then its children while expanded.
  const rows: { run: RunSummary; depth: number }[] = [];
  const extra = new Map<string, React.ReactNode>();
  for (const run of page.data?.items ?? []) {
    rows.push({ run, depth: 0 });
    if (run.children > 0 && expanded.has(run.run_id)) {
      const loaded = children.get(run.run_id);
      for (const child of loaded?.page?.items ?? []) {
        rows.push({ run: child, depth: 1 });
      }
      const shown = loaded?.page?.items.length ?? 0;
      extra.set(
        rows[rows.length - 1].run.run_id,
        loaded?.error ? (
          <ErrorLine error={loaded.error} />
        ) : loaded?.page === null || loaded === undefined ? (
          'Loading child runs…'
        ) : shown < run.children ? (
          <>
            {shown} of {run.children} child runs shown:{' '}
            <button
              className="jp-mlops-link"
              onClick={() => {
                setText(`parent_id = '${run.run_id}'`);
                setPageIndex(0);
              }}
            >
              page through all of them
            </button>
          </>
        ) : null
      );
    }
  }
  const idsShown = rows.map(r => r.run.run_id);
  // The toggle's slot only when a row of the page has children (else names start flush).
  const tree = rows.some(r => r.run.children > 0 || r.depth > 0);
  const allShownSelected = idsShown.length > 0 && idsShown.every(id => selected.has(id));
  const tableWidth = 32 + columns.reduce((sum, c) => sum + widthOf(c), 0);

  const startResize = (key: string, startX: number, startWidth: number) => {
    const move = (e: MouseEvent) => {
      const width = Math.max(MIN_WIDTH, startWidth + e.clientX - startX);
      setWidths(prev => ({ ...prev, [key]: width }));
    };
    const up = () => {
      window.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', up);
    };
    window.addEventListener('mousemove', move);
    window.addEventListener('mouseup', up);
  };

  const selectedIds = [...selected];
  const afterChange = () => {
    page.reload();
    experiments.reload();
    keys.reload();
    for (const parent of expanded) {
      void loadChildren(parent);
    }
  };
  const changeLifecycle = async (restore: boolean) => {
    setActionError(null);
    try {
      const done = await (restore ? restoreRuns : deleteRuns)({ runs: selectedIds });
      const verb = restore ? 'Restored' : 'Deleted';
      const already = done.unchanged.length
        ? ` (${plural(done.unchanged.length, 'run')} already ${restore ? 'active' : 'deleted'})`
        : '';
      setMessage(`${verb} ${plural(done.changed.length, 'run')}${already}.`);
      if (!restore) {
        setSelected(new Set());
      }
      afterChange();
    } catch (error) {
      setActionError(error);
    }
  };
  const anyDeletedSelected = rowsDeleted(selected, page.data, children);
  const experimentItems = experiments.data?.items ?? [];

  return (
    <div className="jp-mlops-runs-table">
      <div className="jp-mlops-toolbar jp-mlops-runs-table-bar">
        <label className="jp-mlops-muted">
          Experiment{' '}
          <select
            className="jp-mlops-select"
            aria-label="Experiment"
            value={experiment}
            onChange={e => {
              setExperiment(e.target.value);
              setPageIndex(0);
              setChosen(null);
            }}
          >
            <option value="">All experiments</option>
            {experimentItems.map(x => (
              <option key={x.name} value={x.name}>
                {x.name} ({x.runs.toLocaleString('en-US')})
              </option>
            ))}
          </select>
        </label>
        <RunsFilterBox
          value={text}
          keys={keys.data}
          apply={value => {
            setText(value);
            // An order typed in the box wins over a header clicked before.
            setOrderBy([]);
            setPageIndex(0);
          }}
        />
        <button
          className="jp-mlops-button"
          aria-expanded={chooser}
          onClick={() => setChooser(!chooser)}
        >
          Columns ({columnIds.length})
        </button>
        <button
          className="jp-mlops-button"
          title="Read the page again"
          onClick={() => {
            page.reload();
            experiments.reload();
            keys.reload();
          }}
        >
          Refresh
        </button>
      </div>
      <ErrorLine error={page.error} />
      {chooser ? (
        <ColumnChooser
          keys={keys.data}
          chosen={columnIds}
          setChosen={setChosen}
          close={() => setChooser(false)}
        />
      ) : null}
      <div className="jp-mlops-toolbar jp-mlops-runs-table-bar">
        <span className="jp-mlops-selection">
          {selected.size ? `${plural(selected.size, 'run')} selected` : 'No runs selected'}
        </span>
        <button
          className="jp-mlops-button"
          disabled={selected.size < 2}
          title="Compare the selected runs side by side"
          onClick={() =>
            props.compare(selectedIds, {
              filter,
              experiment: experiment ? [experiment] : [],
              lifecycle
            })
          }
        >
          Compare
        </button>
        <button
          className="jp-mlops-button"
          disabled={selected.size === 0}
          aria-expanded={tagging}
          onClick={() => setTagging(!tagging)}
        >
          Tag…
        </button>
        <button
          className="jp-mlops-button"
          disabled={selected.size === 0}
          title="Delete the selected runs (they leave searches; Restore brings them back)"
          onClick={() => void changeLifecycle(false)}
        >
          Delete
        </button>
        {showDeleted ? (
          <button
            className="jp-mlops-button"
            disabled={!anyDeletedSelected}
            title="Restore the selected deleted runs"
            onClick={() => void changeLifecycle(true)}
          >
            Restore
          </button>
        ) : null}
        <button
          className="jp-mlops-button"
          disabled={selected.size === 0}
          onClick={() => setSelected(new Set())}
        >
          Clear selection
        </button>
        <label className="jp-mlops-muted jp-mlops-show-deleted">
          <input
            type="checkbox"
            checked={showDeleted}
            onChange={e => {
              setShowDeleted(e.target.checked);
              setPageIndex(0);
            }}
          />{' '}
          Show deleted
        </label>
        {message ? <span className="jp-mlops-muted jp-mlops-message">{message}</span> : null}
        <Pager
          total={total}
          index={pageIndex}
          pages={pages}
          loading={page.loading}
          go={setPageIndex}
        />
      </div>
      {tagging && selected.size ? (
        <TagForm
          count={selected.size}
          submit={async tags => {
            setActionError(null);
            try {
              const done = await tagRuns({ runs: selectedIds, tags });
              const text = Object.entries(done.tags)
                .map(([k, v]) => `${k}=${v}`)
                .join(', ');
              setMessage(`Tagged ${plural(done.runs.length, 'run')} with ${text}.`);
              setTagging(false);
              afterChange();
            } catch (error) {
              setActionError(error);
            }
          }}
        />
      ) : null}
      <ErrorLine error={actionError} />
      {page.data !== null && total === 0 && !page.error ? (
        <div className="jp-mlops-muted jp-mlops-empty">
          {filter
            ? 'No run matches this filter.'
            : experiment
              ? `No runs in ${experiment} yet.`
              : 'No runs yet: press Track in a notebook’s toolbar, or run a cell under %%mlops track.'}
        </div>
      ) : null}
      <div className="jp-mlops-runs-table-scroll">
        <table
          className="jp-mlops-grid"
          style={{ width: tableWidth }}
          aria-rowcount={total}
          data-page={pageIndex + 1}
        >
          <colgroup>
            <col style={{ width: 32 }} />
            {columns.map(c => (
              <col key={c.key} style={{ width: widthOf(c) }} />
            ))}
          </colgroup>
          <thead>
            <tr>
              <th className="jp-mlops-check-cell">
                <input
                  type="checkbox"
                  aria-label="Select the runs shown"
                  checked={allShownSelected}
                  onChange={e => select(idsShown, e.target.checked)}
                />
              </th>
              {columns.map(c => (
                <th
                  key={c.key}
                  data-column={c.key}
                  aria-sort={
                    c.key === sortKey ? (sortDesc ? 'descending' : 'ascending') : undefined
                  }
                  title={`${c.key}: click to sort`}
                >
                  <button className="jp-mlops-sort" onClick={() => sortBy(c.key)}>
                    <span className="jp-mlops-col-label">{c.label}</span>
                    {c.key === sortKey ? <span>{sortDesc ? ' ▼' : ' ▲'}</span> : null}
                  </button>
                  <span
                    className="jp-mlops-col-resize"
                    role="separator"
                    aria-label={`Resize ${c.label}`}
                    onMouseDown={e => {
                      e.preventDefault();
                      startResize(c.key, e.clientX, widthOf(c));
                    }}
                  />
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map(({ run, depth }) => (
              <React.Fragment key={run.run_id}>
                <tr
                  data-run-id={run.run_id}
                  data-depth={depth}
                  data-deleted={run.deleted_at !== null}
                  className={`jp-mlops-grid-row${selected.has(run.run_id) ? ' jp-mod-selected' : ''}${depth ? ' jp-mlops-child' : ''}${run.deleted_at !== null ? ' jp-mlops-deleted' : ''}`}
                >
                  <td className="jp-mlops-check-cell">
                    <input
                      type="checkbox"
                      aria-label={`Select ${run.name || run.short_id}`}
                      checked={selected.has(run.run_id)}
                      onChange={e => select([run.run_id], e.target.checked)}
                    />
                  </td>
                  {columns.map(c => (
                    <td key={c.key} title={c.title?.(run)}>
                      {c.key === 'name' ? (
                        <NameCell
                          run={run}
                          depth={depth}
                          tree={tree}
                          open={expanded.has(run.run_id)}
                          toggle={() => toggle(run.run_id)}
                          openRun={props.openRun}
                        />
                      ) : (
                        c.value(run)
                      )}
                    </td>
                  ))}
                </tr>
                {extra.has(run.run_id) && extra.get(run.run_id) !== null ? (
                  <tr className="jp-mlops-child-note">
                    <td />
                    <td colSpan={columns.length} className="jp-mlops-muted">
                      {extra.get(run.run_id)}
                    </td>
                  </tr>
                ) : null}
              </React.Fragment>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function NameCell(props: {
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

function Pager(props: {
  total: number;
  index: number;
  pages: number;
  loading: boolean;
  go: (index: number) => void;
}): React.JSX.Element {
  const { total, index, pages, go } = props;
  const [draft, setDraft] = React.useState(String(index + 1));
  React.useEffect(() => setDraft(String(index + 1)), [index]);
  const first = total === 0 ? 0 : index * PAGE_SIZE + 1;
  const last = Math.min(total, (index + 1) * PAGE_SIZE);
  return (
    <span className="jp-mlops-pager">
      <span className="jp-mlops-muted jp-mlops-range">
        {first.toLocaleString('en-US')}–{last.toLocaleString('en-US')} of{' '}
        {total.toLocaleString('en-US')}
      </span>
      <button
        className="jp-mlops-button"
        aria-label="Previous page"
        disabled={index === 0}
        onClick={() => go(index - 1)}
      >
        ◀
      </button>
      <form
        onSubmit={e => {
          e.preventDefault();
          const wanted = Math.round(Number(draft));
          if (Number.isFinite(wanted)) {
            go(Math.min(pages, Math.max(1, wanted)) - 1);
          }
        }}
      >
        <label className="jp-mlops-muted">
          page{' '}
          <input
            className="jp-mlops-input jp-mlops-page-input"
            aria-label="Page"
            value={draft}
            onChange={e => setDraft(e.target.value)}
          />{' '}
          of {pages.toLocaleString('en-US')}
        </label>
      </form>
      <button
        className="jp-mlops-button"
        aria-label="Next page"
        disabled={index + 1 >= pages}
        onClick={() => go(index + 1)}
      >
        ▶
      </button>
    </span>
  );
}

function TagForm(props: {
  count: number;
  submit: (tags: Record<string, string>) => Promise<void>;
}): React.JSX.Element {
  const [draft, setDraft] = React.useState('');
  const [error, setError] = React.useState('');
  return (
    <form
      className="jp-mlops-toolbar jp-mlops-tag-form"
      onSubmit={e => {
        e.preventDefault();
        const tags: Record<string, string> = {};
        for (const item of draft.split(',')) {
          const eq = item.indexOf('=');
          if (eq <= 0) {
            setError(`Write each tag as KEY=VALUE (comma-separated), not "${item.trim()}".`);
            return;
          }
          tags[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
        }
        setError('');
        void props.submit(tags);
      }}
    >
      <label className="jp-mlops-muted">
        Tag {plural(props.count, 'selected run')} with{' '}
        <input
          className="jp-mlops-input"
          aria-label="Tags to set"
          placeholder="review=keep"
          value={draft}
          onChange={e => setDraft(e.target.value)}
        />
      </label>
      <button type="submit" className="jp-mlops-button jp-mod-accept" disabled={!draft.trim()}>
        Set tags
      </button>
      {error ? <span className="jp-mlops-error-inline">{error}</span> : null}
    </form>
  );
}

function ColumnChooser(props: {
  keys: RunKeys | null;
  chosen: string[];
  setChosen: (columns: string[]) => void;
  close: () => void;
}): React.JSX.Element {
  const [find, setFind] = React.useState('');
  const chosen = new Set(props.chosen);
  const groups = (['metrics', 'params', 'tags'] as const).map(group => ({
    group,
    ids: (props.keys?.[group] ?? [])
      .map(k => `${group}.${k}`)
      .filter(id => id.toLowerCase().includes(find.toLowerCase()))
  }));
  const flip = (id: string, on: boolean) => {
    props.setChosen(on ? [...props.chosen, id] : props.chosen.filter(c => c !== id));
  };
  return (
    <div className="jp-mlops-column-chooser" role="dialog" aria-label="Columns">
      <div className="jp-mlops-toolbar">
        <input
          className="jp-mlops-input"
          aria-label="Find a column"
          placeholder="find a param, metric or tag"
          value={find}
          onChange={e => setFind(e.target.value)}
        />
        <button className="jp-mlops-button" onClick={() => props.setChosen([])}>
          None
        </button>
        <button className="jp-mlops-button" onClick={props.close}>
          Done
        </button>
      </div>
      <div className="jp-mlops-column-groups">
        {groups.map(({ group, ids }) => (
          <fieldset key={group} className="jp-mlops-column-group">
            <legend>
              {group} ({ids.length})
            </legend>
            {ids.length === 0 ? <span className="jp-mlops-muted">none</span> : null}
            {ids.slice(0, 200).map(id => (
              <label key={id} className="jp-mlops-column-option" title={id}>
                <input
                  type="checkbox"
                  checked={chosen.has(id)}
                  onChange={e => flip(id, e.target.checked)}
                />
                {id.slice(group.length + 1)}
              </label>
            ))}
            {ids.length > 200 ? (
              <span className="jp-mlops-muted">{ids.length - 200} more: narrow the search</span>
            ) : null}
          </fieldset>
        ))}
      </div>
    </div>
  );
}
