// The run page's captured cells: what ran, in order, each openable in its notebook.
import * as React from 'react';

import { Badge } from './badges';
import { duration } from './format';
import type { IRunPageActions } from './runPageActions';
import type { CellInfo } from './wire';

export function CapturedCells(props: {
  cells: CellInfo[];
  notebook: string | null;
  actions: IRunPageActions;
}): React.JSX.Element {
  const { cells, notebook, actions } = props;
  if (cells.length === 0) {
    return <div className="jp-mlops-muted">No cells were captured for this run.</div>;
  }
  return (
    <ol className="jp-mlops-cells">
      {cells.map(c => (
        <li key={c.seq} className="jp-mlops-cell" data-cell-seq={c.seq}>
          <div className="jp-mlops-cell-head">
            <span className="jp-mlops-cell-prompt">[{c.execution_count ?? ' '}]</span>
            {c.status === 'ok' ? null : (
              <Badge text={c.status} tone={c.status === 'failed' ? 'bad' : 'warn'} />
            )}
            <span className="jp-mlops-muted">{duration(c.duration)}</span>
            {notebook ? (
              <button
                className="jp-mlops-link jp-mlops-right"
                title={`Open ${notebook} at this cell`}
                onClick={() => {
                  actions.openAtCell(notebook, {
                    source: c.source,
                    executionCount: c.execution_count
                  });
                }}
              >
                Open at this cell
              </button>
            ) : null}
          </div>
          <pre className="jp-mlops-code">
            <code>{c.source}</code>
          </pre>
          {c.error ? <pre className="jp-mlops-cell-error">{c.error}</pre> : null}
        </li>
      ))}
    </ol>
  );
}
