// A run in the main area: params, metric charts, artifacts, and its notebook.
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { Badge, runTone } from './badges';
import { LineChart } from './chart';
import { getMetricHistory, getRun } from './client';
import { ErrorLine, OpenLink, useApi } from './common';
import { ago, bytes, duration, metric, realNumber } from './format';
import { serverUrl } from './transport';

/** The main-area view of one run (refreshes while the run is running). */
export class RunDetailWidget extends ReactWidget {
  constructor(
    readonly runId: string,
    private readonly open: (path: string) => void
  ) {
    super();
    this.addClass('jp-mlops-detail');
  }

  protected render(): React.JSX.Element {
    return <RunDetailView runId={this.runId} open={this.open} />;
  }
}

const RUNNING_MS = 2000;

function RunDetailView(props: { runId: string; open: (path: string) => void }): React.JSX.Element {
  const { runId } = props;
  // While the run runs, its metrics and their charts follow it.
  const answer = useApi(
    async signal => {
      const run = await getRun(runId, { signal });
      const loaded = await Promise.all(
        Object.keys(run.metrics).map(k => getMetricHistory(run.run_id, k, { signal }))
      );
      return { run, histories: new Map(loaded.map(h => [h.key, h])) };
    },
    [runId],
    { poll: a => (a?.run.status === 'running' ? RUNNING_MS : null) }
  );
  const error = answer.error;

  if (answer.data === null) {
    return (
      <div className="jp-mlops-page">
        <ErrorLine error={error} />
        {error ? null : <div className="jp-mlops-muted">Loading run {props.runId}…</div>}
      </div>
    );
  }
  const { run, histories } = answer.data;
  const params = Object.entries(run.params);
  const metricKeys = Object.keys(run.metrics);
  return (
    <div className="jp-mlops-page" data-run-id={run.run_id}>
      <header className="jp-mlops-page-header">
        <h2>
          {run.name || run.short_id} <Badge text={run.status} tone={runTone(run.status)} />
        </h2>
        <div className="jp-mlops-muted">
          {run.experiment} · {run.short_id} · started {ago(run.start_time)} ·{' '}
          {duration(run.duration)}
          {run.user ? ` · ${run.user}` : ''}
          {run.git_commit ? ` · git ${run.git_commit.slice(0, 8)}${run.git_dirty ? '*' : ''}` : ''}
        </div>
        {run.notebook_in_root ? (
          <div>
            Notebook: <OpenLink path={run.notebook_in_root} open={props.open} />
          </div>
        ) : run.notebook_path ? (
          <div className="jp-mlops-muted">
            Notebook: {run.notebook_path} (outside the server root)
          </div>
        ) : null}
        <ErrorLine error={run.error} />
        <ErrorLine error={error} />
      </header>

      <section>
        <h3>Metrics</h3>
        {metricKeys.length === 0 ? <div className="jp-mlops-muted">No metrics.</div> : null}
        <div className="jp-mlops-charts">
          {metricKeys.map(key => {
            const points = histories.get(key)?.points ?? [];
            return points.length > 1 ? (
              <LineChart
                key={key}
                title={key}
                points={points.map(p => ({ x: p.step, y: realNumber(p.value) }))}
                xLabel="step"
              />
            ) : (
              <div key={key} className="jp-mlops-chart jp-mlops-single" data-chart={key}>
                <span className="jp-mlops-chart-title">{key}</span>
                <span className="jp-mlops-big">{metric(run.metrics[key])}</span>
              </div>
            );
          })}
        </div>
      </section>

      <section>
        <h3>Parameters</h3>
        {params.length === 0 ? (
          <div className="jp-mlops-muted">No parameters.</div>
        ) : (
          <table className="jp-mlops-table jp-mlops-params">
            <tbody>
              {params.map(([k, v]) => (
                <tr key={k}>
                  <th>{k}</th>
                  <td>{v}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section>
        <h3>Artifacts</h3>
        {run.artifacts.length === 0 ? <div className="jp-mlops-muted">No artifacts.</div> : null}
        <ul className="jp-mlops-artifacts">
          {run.artifacts.map(a => (
            <li key={a.path + a.digest}>
              <a
                href={serverUrl(a.url)}
                download={a.path.split('/').pop()}
                target="_blank"
                rel="noreferrer"
              >
                {a.path}
              </a>{' '}
              <span className="jp-mlops-muted">
                {bytes(a.size)} · {a.kind}
              </span>
            </li>
          ))}
        </ul>
        {run.models.length ? (
          <>
            <h3>Models</h3>
            <ul>
              {run.models.map(m => (
                <li key={m.name + m.digest}>
                  {m.name}{' '}
                  <span className="jp-mlops-muted">
                    {m.class_name || m.flavor} · {bytes(m.size)}
                  </span>
                </li>
              ))}
            </ul>
          </>
        ) : null}
        {run.inputs.length ? (
          <>
            <h3>Inputs</h3>
            <ul>
              {run.inputs.map((i, n) => (
                <li key={n}>
                  {i.role}: {i.source} <span className="jp-mlops-muted">{i.kind}</span>
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </section>
    </div>
  );
}
