// One pipeline run in the Pipelines tab: status and summary; opened, its step graph, its
// steps with their reasons, the selected step's live log or failing cell, rerun and cancel.
import * as React from 'react';

import { Badge, moving, pipelineTone, stepTone } from './badges';
import { Card, ErrorLine, OpenLink } from './common';
import { ago, span } from './format';
import { type IDagStep, PipelineDag } from './pipelineDag';
import { StepLogView } from './stepLog';
import type { PipelineRunDetail, PipelineRunSummary, StepRunInfo } from './wire';

function stepCounts(steps: Record<string, number>): string {
  return Object.entries(steps)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`)
    .join(' · ');
}

/** The steps with what each needs (recorded with the run; older runs: none known). */
function dagSteps(detail: PipelineRunDetail): IDagStep[] {
  const needs = (detail.options.needs ?? {}) as Record<string, string[]>;
  return detail.step_runs.map(s => ({
    name: s.step,
    status: s.status,
    needs: needs[s.step] ?? [],
    reason: s.reason
  }));
}

/** The step whose log to show first: the one running, else the one that failed. */
function firstStep(steps: StepRunInfo[]): string | null {
  return (
    steps.find(s => s.status === 'running')?.step ??
    steps.find(s => s.status === 'failed' || s.status === 'cancelled')?.step ??
    null
  );
}

export function PipelineRunCard(props: {
  run: PipelineRunSummary;
  detail: PipelineRunDetail | null;
  expanded: boolean;
  toggle: () => void;
  open: (path: string) => void;
  rerun: (id: string, resume: boolean) => Promise<void>;
  cancel: (id: string) => Promise<void>;
}): React.JSX.Element {
  const r = props.run;
  const [picked, setPicked] = React.useState<string | null>(null);
  const steps = props.detail?.step_runs ?? [];
  const selected = picked ?? firstStep(steps);
  const running = moving(r.status);
  const details = (
    <>
      {props.detail ? (
        <PipelineDag steps={dagSteps(props.detail)} selected={selected} select={setPicked} />
      ) : null}
      <table className="jp-mlops-table jp-mlops-steps">
        <tbody>
          {steps.map(s => (
            <React.Fragment key={s.id}>
              <tr
                data-step={s.step}
                data-status={s.status}
                className={selected === s.step ? 'jp-mod-selected' : ''}
                onClick={() => {
                  setPicked(s.step);
                }}
              >
                <td>{s.step}</td>
                <td>
                  <Badge text={s.status} tone={stepTone(s.status)} />
                </td>
                <td className="jp-mlops-muted jp-mlops-nowrap">
                  {/* A cached or skipped step did not run: no "0 ms". */}
                  {s.status === 'cached' || s.status === 'skipped' ? '' : span(s.started, s.ended)}
                  {s.attempt > 1 ? ` · attempt ${s.attempt}` : ''}
                </td>
                <td>
                  <OpenLink path={s.output_notebook_in_root} open={props.open} label="notebook" />
                </td>
              </tr>
              {/* The reason on a row of its own: the full sidebar width, not a narrow cell. */}
              {s.reason ? (
                <tr className="jp-mlops-step-reason-row" data-reason-of={s.step}>
                  <td colSpan={4} className="jp-mlops-muted jp-mlops-reason" data-step-reason>
                    {s.reason}
                  </td>
                </tr>
              ) : null}
            </React.Fragment>
          ))}
        </tbody>
      </table>
      {selected && steps.some(s => s.step === selected && s.status !== 'queued') ? (
        <StepLogView
          key={selected}
          runId={r.id}
          step={selected}
          status={steps.find(s => s.step === selected)?.status ?? ''}
          open={props.open}
        />
      ) : null}
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
        {running ? (
          <button
            className="jp-mlops-button jp-mlops-right"
            title="Stop its kernels; the run and its unfinished steps end cancelled"
            onClick={() => void props.cancel(r.id)}
          >
            Cancel
          </button>
        ) : null}
      </div>
      {r.summary ? (
        <div className="jp-mlops-muted jp-mlops-reason" data-run-summary>
          {r.summary}
        </div>
      ) : null}
      {r.status === 'cancelled' ? null : <ErrorLine error={r.error} />}
    </Card>
  );
}
