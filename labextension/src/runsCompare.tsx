// Selected runs side by side in the main area (the runs table's "Compare"): params with the
// differences marked, then the latest metrics, from the compare route.
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { Badge, runTone } from './badges';
import { compareRuns } from './client';
import { ErrorLine, useApi } from './common';
import { metric } from './format';

/** The comparison of ``runIds`` (two or more). */
export class RunsCompareWidget extends ReactWidget {
  constructor(readonly runIds: string[]) {
    super();
    this.addClass('jp-mlops-detail');
  }

  protected render(): React.JSX.Element {
    return <CompareView runIds={this.runIds} />;
  }
}

function CompareView(props: { runIds: string[] }): React.JSX.Element {
  const [onlyDiff, setOnlyDiff] = React.useState(false);
  const runIds = props.runIds;
  const answer = useApi(signal => compareRuns({ run: runIds }, { signal }), [runIds]);
  const data = answer.data;
  if (data === null) {
    return (
      <div className="jp-mlops-page">
        <ErrorLine error={answer.error} />
        {answer.error ? null : <div className="jp-mlops-muted">Comparing runs…</div>}
      </div>
    );
  }
  const params = onlyDiff ? data.params.filter(p => p.differs) : data.params;
  return (
    <div className="jp-mlops-page jp-mlops-compare" data-runs={data.runs.length}>
      <h2>Comparing {data.runs.length} runs</h2>
      {data.missing.map(line => (
        <ErrorLine key={line} error={line} />
      ))}
      <table className="jp-mlops-table jp-mlops-compare-table">
        <thead>
          <tr>
            <th />
            {data.runs.map(r => (
              <th key={r.run_id} title={r.run_id}>
                {r.label} <Badge text={r.status} tone={runTone(r.status)} />
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          <tr>
            <th colSpan={data.runs.length + 1} className="jp-mlops-compare-group">
              Metrics
            </th>
          </tr>
          {data.metrics.map(m => (
            <tr key={`m-${m.key}`} data-metric={m.key}>
              <th>{m.key}</th>
              {m.values.map((v, i) => (
                <td key={i}>{v === null ? '' : metric(v)}</td>
              ))}
            </tr>
          ))}
          <tr>
            <th colSpan={data.runs.length + 1} className="jp-mlops-compare-group">
              Parameters{' '}
              <label className="jp-mlops-muted">
                <input
                  type="checkbox"
                  checked={onlyDiff}
                  onChange={e => setOnlyDiff(e.target.checked)}
                />{' '}
                only differences
              </label>
            </th>
          </tr>
          {params.map(p => (
            <tr
              key={`p-${p.key}`}
              data-param={p.key}
              className={p.differs ? 'jp-mlops-differs' : ''}
            >
              <th>{p.key}</th>
              {p.values.map((v, i) => (
                <td key={i}>{v ?? ''}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
