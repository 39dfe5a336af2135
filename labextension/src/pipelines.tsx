// The Pipelines tab: pipeline runs with their step states, step notebooks, rerun, start.
import * as React from 'react';

import { get, post, seg } from './api';
import { Badge, ErrorLine, OpenLink, anyActive } from './common';
import { ago, duration } from './format';
import {
  PipelineRerunRequest,
  PipelineRunDetail,
  PipelineRunPage,
  PipelineRunRequest,
  PipelineRunSummary
} from './wire';

export function PipelinesTab(props: { shown: boolean; open: (path: string) => void }): JSX.Element {
  const [page, setPage] = React.useState<PipelineRunPage | null>(null);
  const [details, setDetails] = React.useState<Record<string, PipelineRunDetail>>({});
  const [expanded, setExpanded] = React.useState<string | null>(null);
  const [error, setError] = React.useState<unknown>(null);
  const [spec, setSpec] = React.useState('pipeline.yaml');
  const [env, setEnv] = React.useState('');
  const [kick, setKick] = React.useState(0);

  // Poll: every 1.5 s while a run or an expanded run's step is moving, else every 10 s.
  React.useEffect(() => {
    if (!props.shown) {
      return;
    }
    let stopped = false;
    let timer: number | undefined;
    const tick = async () => {
      let active = false;
      try {
        const answer = await get<PipelineRunPage>('pipelines/runs', { limit: 50 });
        const open = expanded ?? answer.items.find(r => r.status === 'running')?.id ?? null;
        let detail: PipelineRunDetail | null = null;
        if (open) {
          detail = await get<PipelineRunDetail>(`pipelines/runs/${seg(open)}`);
        }
        if (stopped) {
          return;
        }
        setPage(answer);
        if (detail) {
          const d = detail;
          setDetails(prev => ({ ...prev, [d.run.id]: d }));
        }
        setError(null);
        active =
          anyActive(answer.items.map(r => r.status)) ||
          (detail !== null && anyActive(detail.step_runs.map(s => s.status)));
      } catch (e) {
        if (!stopped) {
          setError(e);
        }
      }
      if (!stopped) {
        timer = window.setTimeout(tick, active ? 1500 : 10000);
      }
    };
    void tick();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [props.shown, expanded, kick]);

  const start = async () => {
    const body: PipelineRunRequest = { spec: spec.trim(), env: env.trim() || null };
    try {
      const detail = await post<PipelineRunDetail>('pipelines/runs', body);
      setDetails(prev => ({ ...prev, [detail.run.id]: detail }));
      setExpanded(detail.run.id);
      setKick(k => k + 1);
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  const rerun = async (id: string, resume: boolean) => {
    const body: PipelineRerunRequest = { resume };
    try {
      const detail = await post<PipelineRunDetail>(`pipelines/runs/${seg(id)}/rerun`, body);
      setDetails(prev => ({ ...prev, [detail.run.id]: detail }));
      setExpanded(detail.run.id);
      setKick(k => k + 1);
      setError(null);
    } catch (e) {
      setError(e);
    }
  };

  return (
    <div className="jp-mlops-tab jp-mlops-pipelines">
      <form
        className="jp-mlops-filter"
        onSubmit={e => {
          e.preventDefault();
          void start();
        }}
      >
        <input
          className="jp-mlops-input"
          aria-label="Pipeline spec"
          title="pipeline.yaml, relative to the server's root"
          value={spec}
          onChange={e => setSpec(e.target.value)}
        />
        <input
          className="jp-mlops-input jp-mlops-narrow"
          aria-label="Environment"
          placeholder="env"
          value={env}
          onChange={e => setEnv(e.target.value)}
        />
        <button type="submit" className="jp-mlops-button">
          Run
        </button>
      </form>
      <ErrorLine error={error} />
      {page && page.items.length === 0 ? (
        <div className="jp-mlops-muted jp-mlops-empty">
          No pipeline runs yet: run one above or with <code>%mlops pipeline run</code>.
        </div>
      ) : null}
      <div className="jp-mlops-scroll">
        {page?.items.map(r => (
          <PipelineRunCard
            key={r.id}
            run={r}
            detail={details[r.id] ?? null}
            expanded={expanded === r.id}
            toggle={() => setExpanded(expanded === r.id ? null : r.id)}
            open={props.open}
            rerun={rerun}
          />
        ))}
      </div>
    </div>
  );
}

function stepCounts(steps: Record<string, number>): string {
  return Object.entries(steps)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`)
    .join(' · ');
}

function PipelineRunCard(props: {
  run: PipelineRunSummary;
  detail: PipelineRunDetail | null;
  expanded: boolean;
  toggle: () => void;
  open: (path: string) => void;
  rerun: (id: string, resume: boolean) => Promise<void>;
}): JSX.Element {
  const r = props.run;
  return (
    <div className="jp-mlops-card" data-pipeline-run={r.id} data-status={r.status}>
      <div className="jp-mlops-card-head" role="button" tabIndex={0} onClick={props.toggle}>
        <Badge value={r.status} />
        <span className="jp-mlops-run-name">{r.name}</span>
        {r.env ? <span className="jp-mlops-muted">{r.env}</span> : null}
        <span className="jp-mlops-muted jp-mlops-right">{ago(r.started)}</span>
      </div>
      <div className="jp-mlops-row-line jp-mlops-muted">
        <span>{stepCounts(r.steps)}</span>
        {r.trigger ? <span>trigger {r.trigger}</span> : null}
      </div>
      <ErrorLine error={r.error} />
      {props.expanded ? (
        <div className="jp-mlops-card-body">
          <table className="jp-mlops-table jp-mlops-steps">
            <tbody>
              {(props.detail?.step_runs ?? []).map(s => (
                <tr key={s.id} data-step={s.step} data-status={s.status}>
                  <td>{s.step}</td>
                  <td>
                    <Badge value={s.status} />
                  </td>
                  <td className="jp-mlops-muted">
                    {s.started && s.ended ? duration(s.ended - s.started) : ''}
                    {s.attempt > 1 ? ` · attempt ${s.attempt}` : ''}
                  </td>
                  <td>
                    <OpenLink path={s.output_notebook_in_root} open={props.open} label="notebook" />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="jp-mlops-row-line">
            <button className="jp-mlops-button" onClick={() => void props.rerun(r.id, false)}>
              Rerun
            </button>
            <button
              className="jp-mlops-button"
              title="Reuse the steps that succeeded last time"
              onClick={() => void props.rerun(r.id, true)}
            >
              Resume
            </button>
          </div>
        </div>
      ) : null}
    </div>
  );
}
