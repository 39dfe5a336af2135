// The Schedules tab: next run, pause/resume, run now, edit, delete, the runs of each schedule.
import * as React from 'react';

import { Dialog, showDialog } from '@jupyterlab/apputils';

import { Badge } from './badges';
import {
  listSchedules,
  pauseSchedule,
  removeSchedule,
  resumeSchedule,
  runScheduleNow
} from './client';
import { Card, EmptyState, ErrorLine, useApi } from './common';
import { dateTime, inFuture } from './format';
import { ScheduleForm } from './scheduleForm';
import { ScheduleHistory } from './scheduleHistory';
import type { ScheduleInfo } from './wire';

const EVERY_MS = 15000;

type Verb = 'pause' | 'resume' | 'run' | 'delete';

function perform(verb: Verb, name: string): Promise<unknown> {
  switch (verb) {
    case 'pause':
      return pauseSchedule(name);
    case 'resume':
      return resumeSchedule(name);
    case 'run':
      return runScheduleNow(name);
    case 'delete':
      return removeSchedule(name);
  }
}

async function confirmDelete(name: string): Promise<boolean> {
  const answer = await showDialog({
    title: `Delete schedule ${name}?`,
    body: 'Its history of ticks is forgotten; the runs it produced stay.',
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Delete' })]
  });
  return answer.button.accept;
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

  const [editing, setEditing] = React.useState<string | null>(null);

  const act = async (s: ScheduleInfo, verb: Verb) => {
    if (verb === 'delete' && !(await confirmDelete(s.name))) {
      return;
    }
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
          No schedules yet: open a notebook and press Schedule on its toolbar.
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
            {editing === s.name ? (
              <ScheduleForm
                schedule={s}
                done={() => {
                  setEditing(null);
                  schedules.reload();
                }}
                cancel={() => {
                  setEditing(null);
                }}
              />
            ) : null}
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
            <div className="jp-mlops-row-line jp-mlops-wrap">
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
              <button
                className="jp-mlops-button"
                disabled={busy !== null || editing === s.name}
                onClick={() => {
                  setEditing(s.name);
                }}
              >
                Edit
              </button>
              <button
                className="jp-mlops-button"
                disabled={busy !== null}
                onClick={() => void act(s, 'delete')}
              >
                Delete
              </button>
            </div>
          </Card>
        ))}
      </div>
    </div>
  );
}
