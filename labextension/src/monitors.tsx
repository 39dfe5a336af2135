// The Monitors tab: each monitor's latest drift verdict and its trend.
import * as React from 'react';

import { get, seg } from './api';
import { Badge, ErrorLine } from './common';
import { LineChart } from './chart';
import { ago, metric } from './format';
import { MonitorHistoryInfo, MonitorList, MonitorSummary } from './wire';

export function MonitorsTab(props: { shown: boolean }): JSX.Element {
  const [list, setList] = React.useState<MonitorList | null>(null);
  const [histories, setHistories] = React.useState<Record<string, MonitorHistoryInfo>>({});
  const [error, setError] = React.useState<unknown>(null);

  React.useEffect(() => {
    if (!props.shown) {
      return;
    }
    let stopped = false;
    const load = async () => {
      try {
        const answer = await get<MonitorList>('monitors');
        const loaded = await Promise.all(
          answer.items.map(m => get<MonitorHistoryInfo>(`monitors/${seg(m.name)}/history`))
        );
        if (stopped) {
          return;
        }
        const byName: Record<string, MonitorHistoryInfo> = {};
        loaded.forEach(h => (byName[h.name] = h));
        setList(answer);
        setHistories(byName);
        setError(null);
      } catch (e) {
        if (!stopped) {
          setError(e);
        }
      }
    };
    void load();
    const timer = window.setInterval(() => void load(), 30000);
    return () => {
      stopped = true;
      window.clearInterval(timer);
    };
  }, [props.shown]);

  return (
    <div className="jp-mlops-tab jp-mlops-monitors">
      <ErrorLine error={error} />
      {list && list.items.length === 0 ? (
        <div className="jp-mlops-muted jp-mlops-empty">
          No monitors yet: <code>mlops.monitor.check(...)</code> tags its runs with a monitor name.
        </div>
      ) : null}
      <div className="jp-mlops-scroll">
        {list?.items.map(m => (
          <MonitorCard key={m.name} monitor={m} history={histories[m.name] ?? null} />
        ))}
      </div>
    </div>
  );
}

function verdict(m: MonitorSummary): { text: string; kind: string } {
  if (m.latest_dataset_drift === true) {
    return { text: 'drift', kind: 'drift' };
  }
  if (m.latest_dataset_drift === false) {
    return { text: 'no drift', kind: 'nodrift' };
  }
  return { text: m.latest_status ?? 'no runs', kind: m.latest_status ?? 'none' };
}

function MonitorCard(props: { monitor: MonitorSummary; history: MonitorHistoryInfo | null }): JSX.Element {
  const m = props.monitor;
  const v = verdict(m);
  const points = props.history?.points ?? [];
  return (
    <div className="jp-mlops-card" data-monitor={m.name} data-verdict={v.kind}>
      <div className="jp-mlops-card-head">
        <span className="jp-mlops-run-name">{m.name}</span>
        <Badge value={v.text} kind={v.kind} />
        <span className="jp-mlops-muted jp-mlops-right">{ago(m.latest_time)}</span>
      </div>
      <div className="jp-mlops-row-line jp-mlops-muted">
        <span>drift share {metric(m.latest_drift_share)}</span>
        {m.threshold !== null ? <span>threshold {metric(m.threshold)}</span> : null}
        <span>
          {m.runs} run{m.runs === 1 ? '' : 's'}
        </span>
        {m.schedule ? <span>scheduled</span> : null}
      </div>
      {points.length > 1 ? (
        <LineChart
          title="drift share"
          width={260}
          height={90}
          threshold={props.history?.threshold ?? m.threshold}
          points={points.map((p, i) => ({ x: i + 1, y: p.drift_share }))}
          xLabel="run"
        />
      ) : null}
    </div>
  );
}
