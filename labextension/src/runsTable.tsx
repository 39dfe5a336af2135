// The runs table in the main area: experiment picker, filter box, column chooser, the grid of
// parent/child runs, bulk actions on the selected ones, a page at a time. Each part is a module
// of its own (runsFilter, runsColumnChooser, runsTableColumns, runsTableGrid, runsTableTree,
// runsTableBulk, runsTablePager); this one holds the state they share.
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { moving } from './badges';
import { listExperiments, runKeys, searchRuns } from './client';
import { ErrorLine, useApi } from './common';
import { ColumnChooser } from './runsColumnChooser';
import type { ICompareScope } from './runsCompare';
import { RunsFilterBox } from './runsFilter';
import { splitOrderBy } from './runsQuery';
import { BulkActions } from './runsTableBulk';
import { FIXED, dataColumn, defaultColumns, sortOf, useColumnWidths } from './runsTableColumns';
import { RunsGrid } from './runsTableGrid';
import { PAGE_SIZE, Pager, pageCount } from './runsTablePager';
import { rowsDeleted, treeRows, useChildRuns } from './runsTableTree';

export { PAGE_SIZE } from './runsTablePager';

const RUNNING_MS = 2000;

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

function RunsTable(props: IRunsTableActions): React.JSX.Element {
  const [experiment, setExperiment] = React.useState('');
  const [text, setText] = React.useState('');
  const [orderBy, setOrderBy] = React.useState<string[]>([]);
  const [pageIndex, setPageIndex] = React.useState(0);
  const [chosen, setChosen] = React.useState<string[] | null>(null);
  const [selected, setSelected] = React.useState<Set<string>>(new Set());
  const [chooser, setChooser] = React.useState(false);
  const [showDeleted, setShowDeleted] = React.useState(false);
  const lifecycle = showDeleted ? 'all' : 'active';
  const widths = useColumnWidths();

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
  const tree = useChildRuns(order, lifecycle);

  const columnIds = chosen ?? defaultColumns(keys.data);
  const columns = [...FIXED, ...columnIds.map(dataColumn)];
  const total = page.data?.total ?? 0;

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

  const shown = treeRows(page.data?.items ?? [], tree, parent => {
    setText(`parent_id = '${parent}'`);
    setPageIndex(0);
  });
  const afterChange = () => {
    page.reload();
    experiments.reload();
    keys.reload();
    tree.reload();
  };
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
      <BulkActions
        selected={selected}
        setSelected={setSelected}
        anyDeletedSelected={rowsDeleted(selected, page.data, tree.children)}
        showDeleted={showDeleted}
        setShowDeleted={on => {
          setShowDeleted(on);
          setPageIndex(0);
        }}
        compare={runIds =>
          props.compare(runIds, {
            filter,
            experiment: experiment ? [experiment] : [],
            lifecycle
          })
        }
        afterChange={afterChange}
      >
        <Pager
          total={total}
          index={pageIndex}
          pages={pageCount(total)}
          loading={page.loading}
          go={setPageIndex}
        />
      </BulkActions>
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
        <RunsGrid
          columns={columns}
          widths={widths}
          sortKey={sortKey}
          sortDesc={sortDesc}
          sortBy={sortBy}
          shown={shown}
          selected={selected}
          select={select}
          expanded={tree.expanded}
          toggle={tree.toggle}
          openRun={props.openRun}
          total={total}
          pageIndex={pageIndex}
        />
      </div>
    </div>
  );
}
