// The Schedules tab: next run, pause/resume, run now, the runs of each schedule.
import * as React from 'react';

import { get, post, seg } from './api';
import { Badge, ErrorLine, OpenLink } from './common';
import { ago, duration, inFuture } from './format';
import { ScheduleInfo, ScheduleList, ScheduleRunList } from './wire';

export function SchedulesTab(props: { shown: boolean; open: (path: string) => void }): JSX.Element {
  const [list, setList] = React.useState<ScheduleList | null>(null);
  const [error, setError] = React.useState<unknown>(null);
  const [expanded, setExpanded] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState<string | null>(null);
  const [historyKick, setHistoryKick] = React.useState(0);

  const reload = React.useCallback(async () => {
    try {
      setList(await get<ScheduleList>('schedules'));
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, []);
  React.useEffect(() => {
    if (!props.shown) {
      return;
    }
    void reload();
    const timer = window.setInterval(() => void reload(), 15000);
    return () => window.clearInterval(timer);
  }, [props.shown, reload]);

  const act = async (s: ScheduleInfo, verb: 'pause' | 'resume' | 'run') => {
    setBusy(`${s.name}:${verb}`);
    try {
      await post(`schedules/${seg(s.name)}/${verb}`);
      setError(null);
      if (verb === 'run') {
        setExpanded(s.name);
        setHistoryKick(k => k + 1);
      }
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
      await reload();
    }
  };

  return (
    <div className="jp-mlops-tab jp-mlops-schedules">
      <ErrorLine error={error} />
      {list && list.items.length === 0 ? (
        <div className="jp-mlops-muted jp-mlops-empty">
          No schedules yet: <code>jupyter-mlops schedule add</code> or{' '}
          <code>mlops.scheduler.add(...)</code>.
        </div>
      ) : null}
      <div className="jp-mlops-scroll">
        {list?.items.map(s => (
          <div key={s.name} className="jp-mlops-card" data-schedule={s.name}>
            <div
              className="jp-mlops-card-head"
              role="button"
              tabIndex={0}
              onClick={() => setExpanded(expanded === s.name ? null : s.name)}
            >
              <span className="jp-mlops-run-name">{s.name}</span>
              <Badge value={s.enabled ? 'active' : 'paused'} />
              <span className="jp-mlops-muted jp-mlops-right" title="next run">
                {s.enabled ? `next ${inFuture(s.next_due)}` : 'paused'}
              </span>
            </div>
            <div className="jp-mlops-row-line jp-mlops-muted">
              <code>{s.cron}</code>
              <span>{s.timezone}</span>
              <span>
                {s.target_kind} {s.target}
              </span>
            </div>
            <div className="jp-mlops-row-line">
              {s.enabled ? (
                <button className="jp-mlops-button" disabled={busy !== null} onClick={() => void act(s, 'pause')}>
                  Pause
                </button>
              ) : (
                <button className="jp-mlops-button" disabled={busy !== null} onClick={() => void act(s, 'resume')}>
                  Resume
                </button>
              )}
              <button className="jp-mlops-button" disabled={busy !== null} onClick={() => void act(s, 'run')}>
                {busy === `${s.name}:run` ? 'Running…' : 'Run now'}
              </button>
            </div>
            {expanded === s.name ? (
              <ScheduleHistory name={s.name} open={props.open} kick={historyKick} />
            ) : null}
          </div>
        ))}
      </div>
    </div>
  );
}

function ScheduleHistory(props: { name: string; open: (path: string) => void; kick: number }): JSX.Element {
  const [runs, setRuns] = React.useState<ScheduleRunList | null>(null);
  const [error, setError] = React.useState<unknown>(null);
  React.useEffect(() => {
    get<ScheduleRunList>(`schedules/${seg(props.name)}/history`, { limit: 20 })
      .then(r => {
        setRuns(r);
        setError(null);
      })
      .catch(setError);
  }, [props.name, props.kick]);
  return (
    <div className="jp-mlops-card-body">
      <ErrorLine error={error} />
      {runs && runs.items.length === 0 ? <div className="jp-mlops-muted">Not run yet.</div> : null}
      <table className="jp-mlops-table jp-mlops-schedule-runs">
        <tbody>
          {runs?.items.map(r => (
            <tr key={r.id} data-status={r.status}>
              <td>
                <Badge value={r.status} />
              </td>
              <td className="jp-mlops-muted">{ago(r.started ?? r.tick)}</td>
              <td className="jp-mlops-muted">
                {r.started && r.ended ? duration(r.ended - r.started) : ''}
              </td>
              <td>
                <OpenLink path={r.output_notebook_in_root} open={props.open} label="notebook" />
                {r.error ? <span className="jp-mlops-error-inline">{r.error}</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
