// The Monitors tab: each monitor's latest drift verdict and its trend.
import * as React from 'react';

import { Badge, runTone, type Tone } from './badges';
import { LineChart } from './chart';
import { getMonitorHistory, listMonitors } from './client';
import { Card, EmptyState, ErrorLine, useApi } from './common';
import { ago, metric, plural } from './format';
import type { MonitorHistoryInfo, MonitorSummary } from './wire';

const EVERY_MS = 30000;

export function MonitorsTab(props: { shown: boolean }): React.JSX.Element {
  const monitors = useApi(
    async signal => {
      const list = await listMonitors({ signal });
      const histories = await Promise.all(
        list.items.map(m => getMonitorHistory(m.name, {}, { signal }))
      );
      return { list, histories: new Map(histories.map(h => [h.name, h])) };
    },
    [],
    { enabled: props.shown, poll: () => EVERY_MS }
  );
  const list = monitors.data?.list;

  return (
    <div className="jp-mlops-tab jp-mlops-monitors">
      <ErrorLine error={monitors.error} />
      {list?.items.length === 0 ? (
        <EmptyState>
          No monitors yet: in a notebook,{' '}
          <code>mlops.monitor.act(mlops.monitor.drift(reference, current), name="…")</code> records
          a monitor and its verdict.
        </EmptyState>
      ) : null}
      <div className="jp-mlops-scroll">
        {list?.items.map(m => (
          <MonitorCard
            key={m.name}
            monitor={m}
            history={monitors.data?.histories.get(m.name) ?? null}
          />
        ))}
      </div>
    </div>
  );
}

interface IVerdict {
  text: string;
  kind: string;
  tone: Tone;
}

/** The monitor's own decision on its latest run (what it alerted on), as the API says it. */
function verdict(m: MonitorSummary): IVerdict {
  if (m.latest_verdict === 'drift') {
    return { text: 'drift', kind: 'drift', tone: 'bad' };
  }
  if (m.latest_verdict === 'no_drift') {
    return { text: 'no drift', kind: 'nodrift', tone: 'good' };
  }
  if (m.latest_status === null) {
    return { text: 'no runs', kind: 'none', tone: 'neutral' };
  }
  return { text: m.latest_status, kind: m.latest_status, tone: runTone(m.latest_status) };
}

function MonitorCard(props: {
  monitor: MonitorSummary;
  history: MonitorHistoryInfo | null;
}): React.JSX.Element {
  const m = props.monitor;
  const v = verdict(m);
  const points = props.history?.points ?? [];
  return (
    <Card
      data={{ 'data-monitor': m.name, 'data-verdict': v.kind }}
      head={
        <>
          <span className="jp-mlops-run-name">{m.name}</span>
          <Badge text={v.text} kind={v.kind} tone={v.tone} />
          <span className="jp-mlops-muted jp-mlops-right">{ago(m.latest_time)}</span>
        </>
      }
    >
      <div className="jp-mlops-row-line jp-mlops-muted">
        <span>drift share {metric(m.latest_drift_share)}</span>
        {m.threshold !== null ? <span>threshold {metric(m.threshold)}</span> : null}
        <span>{plural(m.runs, 'run')}</span>
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
    </Card>
  );
}
