// A run in the main area: params, metric charts, artifacts, and its notebook.
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { get, seg, serverUrl } from './api';
import { Badge, ErrorLine, OpenLink, usePoll } from './common';
import { LineChart } from './chart';
import { ago, bytes, duration, metric } from './format';
import { MetricHistory, RunDetail } from './wire';

/** The main-area view of one run (refreshes while the run is running). */
export class RunDetailWidget extends ReactWidget {
  constructor(
    readonly runId: string,
    private readonly open: (path: string) => void
  ) {
    super();
    this.addClass('jp-mlops-detail');
  }

  protected render(): JSX.Element {
    return <RunDetailView runId={this.runId} open={this.open} />;
  }
}

function RunDetailView(props: { runId: string; open: (path: string) => void }): JSX.Element {
  const [run, setRun] = React.useState<RunDetail | null>(null);
  const [histories, setHistories] = React.useState<Record<string, MetricHistory>>({});
  const [error, setError] = React.useState<unknown>(null);

  usePoll(
    async () => {
      try {
        const detail = await get<RunDetail>(`runs/${seg(props.runId)}`);
        const keys = Object.keys(detail.metrics);
        const loaded = await Promise.all(
          keys.map(k => get<MetricHistory>(`runs/${seg(detail.run_id)}/metrics/${seg(k)}`))
        );
        const byKey: Record<string, MetricHistory> = {};
        loaded.forEach(h => (byKey[h.key] = h));
        setRun(detail);
        setHistories(byKey);
        setError(null);
        return detail;
      } catch (e) {
        setError(e);
        throw e;
      }
    },
    detail => (detail === null ? null : detail.status === 'running' ? 2000 : null),
    [props.runId]
  );

  if (run === null) {
    return (
      <div className="jp-mlops-page">
        <ErrorLine error={error} />
        {error ? null : <div className="jp-mlops-muted">Loading run {props.runId}…</div>}
      </div>
    );
  }
  const params = Object.entries(run.params);
  const metricKeys = Object.keys(run.metrics);
  return (
    <div className="jp-mlops-page" data-run-id={run.run_id}>
      <header className="jp-mlops-page-header">
        <h2>
          {run.name || run.short_id} <Badge value={run.status} />
        </h2>
        <div className="jp-mlops-muted">
          {run.experiment} · {run.short_id} · started {ago(run.start_time)} · {duration(run.duration)}
          {run.user ? ` · ${run.user}` : ''}
          {run.git_commit ? ` · git ${run.git_commit.slice(0, 8)}${run.git_dirty ? '*' : ''}` : ''}
        </div>
        {run.notebook_in_root ? (
          <div>
            Notebook:{' '}
            <OpenLink path={run.notebook_in_root} open={props.open} />
          </div>
        ) : run.notebook_path ? (
          <div className="jp-mlops-muted">Notebook: {run.notebook_path} (outside the server root)</div>
        ) : null}
        <ErrorLine error={run.error} />
        <ErrorLine error={error} />
      </header>

      <section>
        <h3>Metrics</h3>
        {metricKeys.length === 0 ? <div className="jp-mlops-muted">No metrics.</div> : null}
        <div className="jp-mlops-charts">
          {metricKeys.map(key => {
            const points = histories[key]?.points ?? [];
            return points.length > 1 ? (
              <LineChart
                key={key}
                title={key}
                points={points.map(p => ({ x: p.step, y: p.value }))}
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
              <a href={serverUrl(a.url)} download={a.path.split('/').pop()} target="_blank" rel="noreferrer">
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
                  {m.name} <span className="jp-mlops-muted">{m.class_name || m.flavor} · {bytes(m.size)}</span>
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
