// The ticks of one schedule: status, when, how long, and a link to the run each triggered
// (the notebook's run, or the pipeline run's) and its executed notebook.
import * as React from 'react';

import { Badge, scheduleRunTone } from './badges';
import { getPipelineRun, getScheduleHistory } from './client';
import { ErrorLine, OpenLink, useApi } from './common';
import { ago, dateTime, duration } from './format';
import type { ScheduleRunInfo } from './wire';

const HISTORY = 20;

/** When a tick ran (or was due, if it never started), always in the past for a past tick. */
function tickTime(r: ScheduleRunInfo): string {
  const when = r.started ?? r.tick;
  return when > Date.now() / 1000 ? dateTime(when) : ago(when);
}

/** How long a tick's run took, for runs that really ran. */
function tickDuration(r: ScheduleRunInfo): string {
  if (r.started === null || r.ended === null || r.ended <= r.started) {
    return '';
  }
  return duration(r.ended - r.started);
}

export function ScheduleHistory(props: {
  name: string;
  open: (path: string) => void;
  openRun: (runId: string) => void;
}): React.JSX.Element {
  const { name } = props;
  const runs = useApi(signal => getScheduleHistory(name, { limit: HISTORY }, { signal }), [name]);
  return (
    <>
      <ErrorLine error={runs.error} />
      {runs.data?.items.length === 0 ? <div className="jp-mlops-muted">Not run yet.</div> : null}
      <table className="jp-mlops-table jp-mlops-schedule-runs">
        <tbody>
          {runs.data?.items.map(r => (
            <tr key={r.id} data-status={r.status}>
              <td>
                <Badge text={r.status} tone={scheduleRunTone(r.status)} />
              </td>
              <td className="jp-mlops-muted jp-mlops-nowrap" title={dateTime(r.tick)}>
                {tickTime(r)}
              </td>
              <td className="jp-mlops-muted jp-mlops-nowrap">{tickDuration(r)}</td>
              <td>
                {r.run_id !== null ? (
                  <RunLink id={r.run_id} open={props.openRun} />
                ) : r.pipeline_run_id !== null ? (
                  <PipelineRunLink id={r.pipeline_run_id} open={props.openRun} />
                ) : null}{' '}
                <OpenLink path={r.output_notebook_in_root} open={props.open} label="notebook" />
                {r.error ? <span className="jp-mlops-error-inline">{r.error}</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function RunLink(props: { id: string; open: (runId: string) => void }): React.JSX.Element {
  return (
    <button
      className="jp-mlops-link"
      title={`Open run ${props.id}`}
      onClick={() => {
        props.open(props.id);
      }}
    >
      run
    </button>
  );
}

/** A pipeline tick's run: opens the pipeline run's own tracked run (its steps as children). */
function PipelineRunLink(props: { id: string; open: (runId: string) => void }): React.JSX.Element {
  const [error, setError] = React.useState<unknown>(null);
  return (
    <>
      <button
        className="jp-mlops-link"
        data-pipeline-run-link={props.id}
        title={`Open pipeline run ${props.id}`}
        onClick={() => {
          getPipelineRun(props.id).then(detail => {
            if (detail.run.run_id) {
              props.open(detail.run.run_id);
            }
          }, setError);
        }}
      >
        pipeline run
      </button>
      <ErrorLine error={error} />
    </>
  );
}
