// The Schedules tab: next run, pause/resume, run now, the runs of each schedule.
import * as React from 'react';

import { Badge, scheduleRunTone } from './badges';
import {
  getScheduleHistory,
  listSchedules,
  pauseSchedule,
  resumeSchedule,
  runScheduleNow
} from './client';
import { Card, EmptyState, ErrorLine, OpenLink, useApi } from './common';
import { ago, dateTime, duration, inFuture } from './format';
import type { ScheduleInfo, ScheduleRunInfo } from './wire';

const EVERY_MS = 15000;
const HISTORY = 20;

type Verb = 'pause' | 'resume' | 'run';

function perform(verb: Verb, name: string): Promise<unknown> {
  switch (verb) {
    case 'pause':
      return pauseSchedule(name);
    case 'resume':
      return resumeSchedule(name);
    case 'run':
      return runScheduleNow(name);
  }
}

export function SchedulesTab(props: {
  shown: boolean;
  open: (path: string) => void;
  openRun: (runId: string) => void;
}): React.JSX.Element {
  const schedules = useApi(signal => listSchedules({ signal }), [], {
    enabled: props.shown,
    poll: () => EVERY_MS
  });
  const [actionError, setActionError] = React.useState<unknown>(null);
  const [expanded, setExpanded] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState<string | null>(null);
  // Bumped by "Run now": the history of that schedule loads again (its newest tick is new).
  const [historyKick, setHistoryKick] = React.useState(0);

  const act = async (s: ScheduleInfo, verb: Verb) => {
    setBusy(`${s.name}:${verb}`);
    try {
      await perform(verb, s.name);
      setActionError(null);
      if (verb === 'run') {
        setExpanded(s.name);
        setHistoryKick(k => k + 1);
      }
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(null);
      schedules.reload();
    }
  };

  const list = schedules.data;
  return (
    <div className="jp-mlops-tab jp-mlops-schedules">
      <ErrorLine error={actionError ?? schedules.error} />
      {list?.items.length === 0 ? (
        <EmptyState>
          No schedules yet: in a notebook,{' '}
          <code>%mlops schedule add NAME --notebook X.ipynb --cron &quot;0 6 * * *&quot;</code>.
        </EmptyState>
      ) : null}
      <div className="jp-mlops-scroll">
        {list?.items.map(s => (
          <Card
            key={s.name}
            data={{ 'data-schedule': s.name }}
            head={
              <>
                <span className="jp-mlops-run-name">{s.name}</span>
                {s.enabled ? (
                  <Badge text="active" tone="active" />
                ) : (
                  <Badge text="paused" tone="warn" />
                )}
              </>
            }
            open={expanded === s.name}
            toggle={() => {
              setExpanded(expanded === s.name ? null : s.name);
            }}
            details={
              <ScheduleHistory
                key={historyKick}
                name={s.name}
                open={props.open}
                openRun={props.openRun}
              />
            }
          >
            {s.enabled && s.next_due !== null ? (
              <div className="jp-mlops-row-line jp-mlops-wrap" data-next-run={s.next_due}>
                <span>next {inFuture(s.next_due)}</span>
                <span className="jp-mlops-muted jp-mlops-nowrap">
                  {dateTime(s.next_due, s.timezone)} {s.timezone}
                </span>
              </div>
            ) : null}
            <div className="jp-mlops-row-line jp-mlops-wrap jp-mlops-muted">
              <code title="cron">{s.cron}</code>
              <span className="jp-mlops-nowrap">
                {s.target_kind} {s.target}
              </span>
            </div>
            <div className="jp-mlops-row-line">
              <button
                className="jp-mlops-button"
                disabled={busy !== null}
                onClick={() => void act(s, s.enabled ? 'pause' : 'resume')}
              >
                {s.enabled ? 'Pause' : 'Resume'}
              </button>
              <button
                className="jp-mlops-button"
                disabled={busy !== null}
                onClick={() => void act(s, 'run')}
              >
                {busy === `${s.name}:run` ? 'Running…' : 'Run now'}
              </button>
            </div>
          </Card>
        ))}
      </div>
    </div>
  );
}

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

function ScheduleHistory(props: {
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
                {r.run_id !== null ? <RunLink id={r.run_id} open={props.openRun} /> : null}{' '}
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
