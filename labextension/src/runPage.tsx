// A run's page: what it ran (cells, notebook), on what (data, code, environment), what it
// measured and made (metrics, artifacts, models), a note, and proof it reproduces.
import * as React from 'react';

import { Badge, runTone } from './badges';
import { LineChart } from './chart';
import { getMetricHistory, getRun, getRunLinks } from './client';
import { ErrorLine, useApi } from './common';
import { ago, bytes, duration, metric, realNumber } from './format';
import type { IRunPageActions } from './runPageActions';
import { CapturedCells } from './runPageCells';
import { Provenance, RegistryLinks } from './runPageLinks';
import { RunNote } from './runPageNote';
import { Artifacts } from './runPagePreview';
import { Reproduce } from './runPageReproduce';
import type { MetricHistory, RunDetail } from './wire';

const RUNNING_MS = 2000;

export function RunPage(props: {
  runId: string;
  actions: IRunPageActions;
  loaded?: (run: RunDetail) => void;
}): React.JSX.Element {
  const { runId, actions, loaded } = props;
  // While the run runs, its metrics and their charts follow it.
  const answer = useApi(
    async signal => {
      const [run, links] = await Promise.all([
        getRun(runId, { signal }),
        getRunLinks(runId, { signal })
      ]);
      const histories = await Promise.all(
        Object.keys(run.metrics).map(k => getMetricHistory(run.run_id, k, { signal }))
      );
      return { run, links, histories: new Map(histories.map(h => [h.key, h])) };
    },
    [runId],
    { poll: a => (a?.run.status === 'running' ? RUNNING_MS : null) }
  );
  const run = answer.data?.run ?? null;
  React.useEffect(() => {
    if (run && loaded) {
      loaded(run);
    }
  }, [run, loaded]);

  if (answer.data === null) {
    return (
      <div className="jp-mlops-page">
        <ErrorLine error={answer.error} />
        {answer.error ? null : <div className="jp-mlops-muted">Loading run {runId}…</div>}
      </div>
    );
  }
  const { links, histories } = answer.data;
  const r = answer.data.run;
  const tags = Object.entries(r.tags).filter(([k]) => k !== 'mlflow.note.content');
  return (
    <div className="jp-mlops-page jp-mlops-run-page" data-run-id={r.run_id}>
      <header className="jp-mlops-page-header">
        <h2>
          {r.name || r.short_id} <Badge text={r.status} tone={runTone(r.status)} />
        </h2>
        <div className="jp-mlops-muted">
          {r.experiment} · {r.short_id} · started {ago(r.start_time)} · {duration(r.duration)}
          {r.user ? ` · ${r.user}` : ''}
        </div>
        <NotebookLine run={r} actions={actions} />
        <ErrorLine error={r.error} />
        <ErrorLine error={answer.error} />
      </header>

      <section className="jp-mlops-run-links">
        <RegistryLinks links={links} actions={actions} />
      </section>

      <section>
        <h3>Note</h3>
        <RunNote runId={r.run_id} />
        {tags.length ? (
          <div className="jp-mlops-tags jp-mlops-wrap">
            {tags.map(([k, v]) => (
              <span key={k} className="jp-mlops-tag" data-tag={k}>
                {k}
                {v ? <b>={v}</b> : null}
              </span>
            ))}
          </div>
        ) : null}
      </section>

      <section>
        <h3>Reproducibility</h3>
        <Reproduce
          runId={r.run_id}
          canReproduce={r.cells.length > 0 && r.status !== 'running'}
          certificates={links.reproductions}
          openRun={actions.openRun}
          done={answer.reload}
        />
      </section>

      <section>
        <h3>Metrics</h3>
        <Metrics run={r} histories={histories} />
      </section>

      <section>
        <h3>Parameters</h3>
        <Params params={r.params} />
      </section>

      <section>
        <h3>Inputs</h3>
        {r.inputs.length === 0 ? <div className="jp-mlops-muted">No inputs recorded.</div> : null}
        <ul className="jp-mlops-inputs">
          {r.inputs.map((i, n) => {
            const version = links.datasets.find(
              d => d.digest === i.digest && d.direction === 'input'
            );
            return (
              <li key={n} data-input={i.source}>
                {i.role}: <code>{i.source}</code>{' '}
                <span className="jp-mlops-muted">
                  {i.kind}
                  {i.size !== null ? ` · ${bytes(i.size)}` : ''} · {i.digest.slice(0, 12)}
                </span>
                {version ? (
                  <>
                    {' '}
                    <button
                      className="jp-mlops-link"
                      onClick={() => actions.openDataset(version.dataset, version.version)}
                    >
                      {version.dataset} v{version.version}
                    </button>
                  </>
                ) : null}
              </li>
            );
          })}
        </ul>
      </section>

      <section>
        <h3>Code and environment</h3>
        <Provenance run={r} />
      </section>

      <section>
        <h3>Cells</h3>
        <CapturedCells cells={r.cells} notebook={r.notebook_in_root} actions={actions} />
      </section>

      <section>
        <h3>Artifacts</h3>
        <Artifacts runId={r.run_id} artifacts={r.artifacts} />
        {r.models.length ? (
          <>
            <h3>Logged models</h3>
            <ul>
              {r.models.map(m => (
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
      </section>
    </div>
  );
}

function NotebookLine(props: { run: RunDetail; actions: IRunPageActions }): React.JSX.Element {
  const { run, actions } = props;
  const inRoot = run.notebook_in_root;
  return (
    <div className="jp-mlops-row-line jp-mlops-wrap">
      {inRoot ? (
        <span>
          Notebook:{' '}
          <button
            className="jp-mlops-link"
            title={`Open ${inRoot}`}
            onClick={() => actions.openPath(inRoot)}
          >
            {inRoot}
          </button>
        </span>
      ) : run.notebook_path ? (
        <span className="jp-mlops-muted">
          Notebook: {run.notebook_path} (outside the server root)
        </span>
      ) : null}
      {run.notebook_digest || inRoot ? (
        <button
          className="jp-mlops-button"
          onClick={() => actions.openRecordedNotebook(run.run_id, run.name || run.short_id)}
        >
          View executed notebook (read-only)
        </button>
      ) : null}
    </div>
  );
}

function Metrics(props: {
  run: RunDetail;
  histories: Map<string, MetricHistory>;
}): React.JSX.Element {
  const { run, histories } = props;
  const keys = Object.keys(run.metrics);
  if (keys.length === 0) {
    return <div className="jp-mlops-muted">No metrics.</div>;
  }
  return (
    <div className="jp-mlops-charts">
      {keys.map(key => {
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
  );
}

function Params(props: { params: Record<string, string> }): React.JSX.Element {
  const params = Object.entries(props.params);
  if (params.length === 0) {
    return <div className="jp-mlops-muted">No parameters.</div>;
  }
  return (
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
  );
}
