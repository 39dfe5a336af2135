// The runs table's grid: sortable, resizable headers, a check box per row, the tree's rows.
import * as React from 'react';

import type { IColumn, IColumnWidths } from './runsTableColumns';
import { NameCell, type ITreeRows } from './runsTableTree';

/** The check boxes' column. */
const CHECK_WIDTH = 32;

export function RunsGrid(props: {
  columns: IColumn[];
  widths: IColumnWidths;
  sortKey: string;
  sortDesc: boolean;
  sortBy: (key: string) => void;
  shown: ITreeRows;
  selected: Set<string>;
  select: (ids: string[], on: boolean) => void;
  expanded: Set<string>;
  toggle: (parent: string) => void;
  openRun: (runId: string) => void;
  /** The runs of the search, all pages: the grid's row count for assistive technology. */
  total: number;
  pageIndex: number;
}): React.JSX.Element {
  const { columns, sortKey, sortDesc, selected } = props;
  const { widthOf, startResize } = props.widths;
  const { rows, notes } = props.shown;
  const idsShown = rows.map(r => r.run.run_id);
  // The toggle's slot only when a row of the page has children (else names start flush).
  const tree = rows.some(r => r.run.children > 0 || r.depth > 0);
  const allShownSelected = idsShown.length > 0 && idsShown.every(id => selected.has(id));
  const tableWidth = CHECK_WIDTH + columns.reduce((sum, c) => sum + widthOf(c), 0);
  return (
    <table
      className="jp-mlops-grid"
      style={{ width: tableWidth }}
      aria-rowcount={props.total}
      data-page={props.pageIndex + 1}
    >
      <colgroup>
        <col style={{ width: CHECK_WIDTH }} />
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
              onChange={e => props.select(idsShown, e.target.checked)}
            />
          </th>
          {columns.map(c => (
            <th
              key={c.key}
              data-column={c.key}
              aria-sort={c.key === sortKey ? (sortDesc ? 'descending' : 'ascending') : undefined}
              title={`${c.key}: click to sort`}
            >
              <button className="jp-mlops-sort" onClick={() => props.sortBy(c.key)}>
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
                  onChange={e => props.select([run.run_id], e.target.checked)}
                />
              </td>
              {columns.map(c => (
                <td key={c.key} title={c.title?.(run)}>
                  {c.key === 'name' ? (
                    <NameCell
                      run={run}
                      depth={depth}
                      tree={tree}
                      open={props.expanded.has(run.run_id)}
                      toggle={() => props.toggle(run.run_id)}
                      openRun={props.openRun}
                    />
                  ) : (
                    c.value(run)
                  )}
                </td>
              ))}
            </tr>
            {notes.has(run.run_id) && notes.get(run.run_id) !== null ? (
              <tr className="jp-mlops-child-note">
                <td />
                <td colSpan={columns.length} className="jp-mlops-muted">
                  {notes.get(run.run_id)}
                </td>
              </tr>
            ) : null}
          </React.Fragment>
        ))}
      </tbody>
    </table>
  );
}
