// A model version's provenance in the Models tab: its signature, the run that made it, the
// pipeline run and dataset versions behind that run, and its reproductions.
import * as React from 'react';

import { Badge } from './badges';
import { getRunLinks } from './client';
import { ErrorLine, useApi } from './common';
import { verdictTone } from './runPageReproduce';
import type { ModelVersionInfo } from './wire';

interface IField {
  name?: string;
  type?: string;
  dtype?: string;
  shape?: unknown;
}

/** The columns of one side of a signature (``inputs`` or ``outputs``), whatever its flavour. */
function fields(side: unknown): IField[] {
  if (Array.isArray(side)) {
    return side as IField[];
  }
  if (typeof side === 'string') {
    try {
      return fields(JSON.parse(side));
    } catch {
      return [{ type: side }];
    }
  }
  if (side && typeof side === 'object') {
    const spec = side as { columns?: unknown; fields?: unknown; type?: unknown };
    const inner = spec.columns ?? spec.fields;
    if (inner !== undefined) {
      return fields(inner);
    }
    if (typeof spec.type === 'string') {
      return [side]; // one array or tensor: its type, dtype and shape
    }
    return Object.entries(side as Record<string, unknown>).map(([name, type]) => ({
      name,
      type: typeof type === 'string' ? type : JSON.stringify(type)
    }));
  }
  return [];
}

function typeOf(f: IField): string {
  const kind = [f.type, f.dtype].filter(Boolean).join(' of ') || '?';
  const shape = f.shape === undefined ? '' : `, shape ${JSON.stringify(f.shape)}`;
  return `${kind}${shape}`;
}

export function Signature(props: { signature: Record<string, unknown> | null }): React.JSX.Element {
  const sig = props.signature;
  if (!sig) {
    return <div className="jp-mlops-muted">No signature recorded.</div>;
  }
  // MLflow-style signatures name both sides; a captured one describes the input only.
  const named = (['inputs', 'outputs'] as const).filter(k => sig[k] !== undefined);
  const sides: [string, unknown][] = named.length ? named.map(k => [k, sig[k]]) : [['inputs', sig]];
  return (
    <table className="jp-mlops-table jp-mlops-signature" data-signature="">
      <tbody>
        {sides.map(([side, spec]) =>
          fields(spec).map((f, i) => (
            <tr key={`${side}-${i}`}>
              <th>{i === 0 ? side : ''}</th>
              <td>{f.name ?? ''}</td>
              <td className="jp-mlops-muted">{typeOf(f)}</td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}

export function ModelVersionDetail(props: {
  version: ModelVersionInfo;
  openRun: (runId: string) => void;
}): React.JSX.Element {
  const v = props.version;
  const runId = v.run_id;
  const links = useApi(
    signal => (runId ? getRunLinks(runId, { signal }) : Promise.resolve(null)),
    [runId]
  );
  const l = links.data;
  const certificate = l?.reproductions[0];
  return (
    <div className="jp-mlops-version-detail" data-version-detail={v.version}>
      <ErrorLine error={links.error} />
      <ul className="jp-mlops-links">
        <li data-link="run">
          {runId ? (
            <>
              Trained in{' '}
              <button className="jp-mlops-link" onClick={() => props.openRun(runId)}>
                run {runId.slice(0, 8)}
              </button>
            </>
          ) : (
            <span className="jp-mlops-muted">Registered without a run.</span>
          )}
        </li>
        {l?.pipeline ? (
          <li data-link="pipeline">
            {l.pipeline.step ? `step ${l.pipeline.step} of ` : ''}pipeline run {l.pipeline.pipeline}{' '}
            {l.pipeline.pipeline_run_id.slice(0, 8)}
          </li>
        ) : null}
        {l?.datasets
          .filter(d => d.direction === 'input')
          .map(d => (
            <li key={`${d.ref}-${d.role}`} data-link="dataset">
              trained on dataset {d.dataset} v{d.version}{' '}
              <span className="jp-mlops-muted">{d.role}</span>
            </li>
          ))}
        {certificate ? (
          <li data-link="certificate">
            <Badge text={certificate.verdict} tone={verdictTone(certificate.verdict)} />{' '}
            <span className="jp-mlops-muted">certificate #{certificate.id}</span>
          </li>
        ) : null}
      </ul>
      <div className="jp-mlops-muted">
        {v.uri} · {v.flavor} · {v.format}
      </div>
      <Signature signature={v.signature} />
    </div>
  );
}
