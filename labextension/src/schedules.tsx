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
import { ago, inFuture, span } from './format';
import type { ScheduleInfo } from './wire';

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
          No schedules yet: <code>jupyter-mlops schedule add</code> or{' '}
          <code>mlops.scheduler.add(...)</code>.
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
                <span className="jp-mlops-muted jp-mlops-right" title="next run">
                  {s.enabled ? `next ${inFuture(s.next_due)}` : 'paused'}
                </span>
              </>
            }
            open={expanded === s.name}
            toggle={() => {
              setExpanded(expanded === s.name ? null : s.name);
            }}
            details={<ScheduleHistory key={historyKick} name={s.name} open={props.open} />}
          >
            <div className="jp-mlops-row-line jp-mlops-muted">
              <code>{s.cron}</code>
              <span>{s.timezone}</span>
              <span>
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

function ScheduleHistory(props: { name: string; open: (path: string) => void }): React.JSX.Element {
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
              <td className="jp-mlops-muted">{ago(r.started ?? r.tick)}</td>
              <td className="jp-mlops-muted">{span(r.started, r.ended)}</td>
              <td>
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
