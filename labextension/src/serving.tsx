// Serving in the Models tab: which server answers with a version, and its recent traffic.
import * as React from 'react';

import { Badge } from './badges';
import { getModelServing } from './client';
import { useApi } from './common';
import type { IApiState } from './common';
import { ago } from './format';
import type { ModelServing, ServedBy, VersionTrafficInfo } from './wire';

/** Asked again this often while a model is open: servers come, go and swap versions. */
const POLL_MS = 10_000;
/** A server that stopped answering longer ago than this is no longer mentioned. */
const FORGET_S = 24 * 3600;

/** The servers and recent traffic of model ``name``, kept fresh while shown. */
export function useServing(name: string): IApiState<ModelServing> {
  return useApi(signal => getModelServing(name, { signal }), [name], { poll: () => POLL_MS });
}

/** One version's line: served (where, by how many workers) or not, and what it answered. */
export function ServingLine(props: {
  version: number;
  serving: ModelServing | null;
}): React.JSX.Element | null {
  const serving = props.serving;
  if (!serving) {
    return null;
  }
  const now = Date.now() / 1000;
  const servers = serving.servers.filter(
    s => s.version === props.version && (s.up || now - s.last_seen < FORGET_S)
  );
  const traffic = serving.traffic.find(t => t.version === props.version);
  if (servers.length === 0 && !traffic) {
    return null;
  }
  const up = byUrl(servers.filter(s => s.up));
  const gone = byUrl(servers.filter(s => !s.up));
  return (
    <div
      className="jp-mlops-row-line jp-mlops-wrap jp-mlops-serving"
      data-serving={up.length ? 'up' : 'down'}
    >
      {up.map(([url, workers]) => (
        <span key={url} className="jp-mlops-metric" data-server={url}>
          <Badge
            text="serving"
            tone="good"
            title={`${plainStage(workers[0])} · started ${ago(Math.min(...workers.map(w => w.started)))}`}
          />
          <span className="jp-mlops-muted">
            {url}
            {workers.length > 1 ? ` ×${workers.length}` : ''}
          </span>
        </span>
      ))}
      {gone.map(([url, workers]) => (
        <span key={url} className="jp-mlops-metric" data-server={url}>
          <Badge text="no answer" tone="warn" kind="server-gone" title={url} />
          <span className="jp-mlops-muted">
            since {ago(Math.max(...workers.map(w => w.last_seen)))}
          </span>
        </span>
      ))}
      {traffic ? <Traffic traffic={traffic} window={serving.window_s} /> : null}
    </div>
  );
}

function Traffic(props: { traffic: VersionTrafficInfo; window: number }): React.JSX.Element {
  const t = props.traffic;
  const hours = props.window / 3600;
  const span = `in the last ${hours === 1 ? 'hour' : `${Math.round(props.window / 60)} min`} (logged requests)`;
  return (
    <span className="jp-mlops-row-line jp-mlops-wrap jp-mlops-muted" data-traffic={t.requests}>
      <span className="jp-mlops-metric" title={`${t.rows} rows ${span}`}>
        requests <b className="jp-mlops-metric-value">{t.requests}</b>
      </span>
      <span className="jp-mlops-metric" title={`median latency ${span}`}>
        p50 <b className="jp-mlops-metric-value">{ms(t.p50_ms)}</b>
      </span>
      <span className="jp-mlops-metric" title={`99th percentile latency ${span}`}>
        p99 <b className="jp-mlops-metric-value">{ms(t.p99_ms)}</b>
      </span>
      <span className="jp-mlops-metric" title="the latest logged request">
        last <b className="jp-mlops-metric-value">{ago(t.last_request)}</b>
      </span>
    </span>
  );
}

/** Servers grouped by URL: the worker processes of one server share it. */
function byUrl(servers: ServedBy[]): [string, ServedBy[]][] {
  const grouped = new Map<string, ServedBy[]>();
  for (const s of servers) {
    grouped.set(s.url, [...(grouped.get(s.url) ?? []), s]);
  }
  return [...grouped.entries()];
}

function plainStage(s: ServedBy): string {
  return s.stage ? `follows ${s.stage}` : `serves v${s.version} only`;
}

function ms(value: number): string {
  return value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`;
}
