// The Pipelines tab: pipeline runs with their step states, step notebooks, rerun, start.
import * as React from 'react';

import { Badge, moving, pipelineTone, stepTone } from './badges';
import { getPipelineRun, listPipelineRuns, rerunPipelineRun, startPipelineRun } from './client';
import { Card, EmptyState, ErrorLine, OpenLink, useApi } from './common';
import { ago, span } from './format';
import type { PipelineRunDetail, PipelineRunSummary } from './wire';

const MOVING_MS = 1500;
const RESTING_MS = 10000;

export function PipelinesTab(props: {
  shown: boolean;
  open: (path: string) => void;
}): React.JSX.Element {
  const [details, setDetails] = React.useState<Record<string, PipelineRunDetail>>({});
  const [expanded, setExpanded] = React.useState<string | null>(null);
  const [actionError, setActionError] = React.useState<unknown>(null);
  const [spec, setSpec] = React.useState('pipeline.yaml');
  const [env, setEnv] = React.useState('');

  const remember = React.useCallback((detail: PipelineRunDetail) => {
    setDetails(prev => ({ ...prev, [detail.run.id]: detail }));
  }, []);
  // The runs, and the steps of the expanded run (or of the one running): polled fast while
  // something moves.
  const runs = useApi(
    async signal => {
      const page = await listPipelineRuns({ limit: 50 }, { signal });
      const open = expanded ?? page.items.find(r => r.status === 'running')?.id ?? null;
      const detail = open ? await getPipelineRun(open, { signal }) : null;
      if (detail) {
        remember(detail);
      }
      return { page, detail };
    },
    [expanded, remember],
    {
      enabled: props.shown,
      poll: answer =>
        answer &&
        (answer.page.items.some(r => moving(r.status)) ||
          answer.detail?.step_runs.some(s => moving(s.status)))
          ? MOVING_MS
          : RESTING_MS
    }
  );

  const act = async (work: () => Promise<PipelineRunDetail>) => {
    try {
      const detail = await work();
      remember(detail);
      setExpanded(detail.run.id);
      runs.reload();
      setActionError(null);
    } catch (e) {
      setActionError(e);
    }
  };
  const start = () => act(() => startPipelineRun({ spec: spec.trim(), env: env.trim() || null }));
  const rerun = (id: string, resume: boolean) => act(() => rerunPipelineRun(id, { resume }));
  const page = runs.data?.page;

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
          onChange={e => {
            setSpec(e.target.value);
          }}
        />
        <input
          className="jp-mlops-input jp-mlops-narrow"
          aria-label="Environment"
          placeholder="env"
          value={env}
          onChange={e => {
            setEnv(e.target.value);
          }}
        />
        <button type="submit" className="jp-mlops-button">
          Run
        </button>
      </form>
      <ErrorLine error={actionError ?? runs.error} />
      {page?.items.length === 0 ? (
        <EmptyState>
          No pipeline runs yet: write a <code>pipeline.yaml</code> of notebook steps, then press Run
          above.
        </EmptyState>
      ) : null}
      <div className="jp-mlops-scroll">
        {page?.items.map(r => (
          <PipelineRunCard
            key={r.id}
            run={r}
            detail={details[r.id] ?? null}
            expanded={expanded === r.id}
            toggle={() => {
              setExpanded(expanded === r.id ? null : r.id);
            }}
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
}): React.JSX.Element {
  const r = props.run;
  const details = (
    <>
      <table className="jp-mlops-table jp-mlops-steps">
        <tbody>
          {(props.detail?.step_runs ?? []).map(s => (
            <tr key={s.id} data-step={s.step} data-status={s.status}>
              <td>{s.step}</td>
              <td>
                <Badge text={s.status} tone={stepTone(s.status)} />
              </td>
              <td className="jp-mlops-muted">
                {/* A cached or skipped step did not run: no "0 ms". */}
                {s.status === 'cached' || s.status === 'skipped' ? '' : span(s.started, s.ended)}
                {s.attempt > 1 ? ` · attempt ${s.attempt}` : ''}
              </td>
              <td>
                <OpenLink path={s.output_notebook_in_root} open={props.open} label="notebook" />
                {s.reason ? (
                  <div className="jp-mlops-muted jp-mlops-reason" data-step-reason>
                    {s.reason}
                  </div>
                ) : null}
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
    </>
  );
  return (
    <Card
      data={{ 'data-pipeline-run': r.id, 'data-status': r.status }}
      head={
        <>
          <Badge text={r.status} tone={pipelineTone(r.status)} />
          <span className="jp-mlops-run-name">{r.name}</span>
          {r.env ? <span className="jp-mlops-muted">{r.env}</span> : null}
          <span className="jp-mlops-muted jp-mlops-right">{ago(r.started)}</span>
        </>
      }
      open={props.expanded}
      toggle={props.toggle}
      details={details}
    >
      <div className="jp-mlops-row-line jp-mlops-wrap jp-mlops-muted">
        <span>{stepCounts(r.steps)}</span>
        {r.trigger ? <span>trigger {r.trigger}</span> : null}
      </div>
      {r.summary ? (
        <div className="jp-mlops-muted jp-mlops-reason" data-run-summary>
          {r.summary}
        </div>
      ) : null}
      <ErrorLine error={r.error} />
    </Card>
  );
}
