// The compare view's "Why did it move?" tab: ``GET runs/diff`` of two of the compared runs —
// the headline, metrics side by side, params, data versions, environment and the code diff
// cell by cell (the same record ``%mlops diff`` and ``jupyter-mlops diff`` show).
import * as React from 'react';

import { diffRuns } from './client';
import { ErrorLine, useApi } from './common';
import { metric } from './format';
import type { CellBlock, ComparedRun, DatasetDiff, DiffedCell, RunDiff } from './wire';

function cells(list: DiffedCell[]): string {
  if (!list.length) {
    return '';
  }
  const [first, last] = [list[0].position, list[list.length - 1].position];
  return first === last ? `cell ${first}` : `cells ${first}–${last}`;
}

function relative(value: number | string | null): string {
  return typeof value === 'number' ? `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)}%` : '';
}

function Block(props: { block: CellBlock }): React.JSX.Element {
  const { block } = props;
  if (block.change === 'same') {
    return (
      <div className="jp-mlops-muted jp-mlops-diff-same" data-change="same">
        {cells(block.a)} (a) = {cells(block.b)} (b): unchanged
      </div>
    );
  }
  const head = {
    changed: `${cells(block.a)} (a) → ${cells(block.b)} (b): edited`,
    added: `${cells(block.b)} (b): added`,
    removed: `${cells(block.a)} (a): removed`
  }[block.change];
  return (
    <div className="jp-mlops-diff-block" data-change={block.change}>
      <div className="jp-mlops-diff-head">{head}</div>
      <pre className="jp-mlops-diff-code">
        {block.diff.map((line, i) => {
          const kind = /^(\+\+\+|---|@@)/.test(line)
            ? 'meta'
            : line.startsWith('+')
              ? 'add'
              : line.startsWith('-')
                ? 'del'
                : 'ctx';
          return (
            <div key={i} className={`jp-mlops-diff-line jp-mod-${kind}`}>
              {line || ' '}
            </div>
          );
        })}
      </pre>
    </div>
  );
}

function datasetSummary(diff: DatasetDiff): string {
  if (diff.same_content) {
    return 'same content';
  }
  const parts: string[] = [];
  if (diff.row_change !== null && diff.row_change !== 0) {
    parts.push(`${diff.row_change > 0 ? '+' : ''}${diff.row_change} rows`);
  }
  if (diff.added.length) {
    parts.push(`columns added: ${diff.added.map(c => c.name).join(', ')}`);
  }
  if (diff.removed.length) {
    parts.push(`columns removed: ${diff.removed.map(c => c.name).join(', ')}`);
  }
  if (diff.retyped.length) {
    parts.push(`${diff.retyped.length} columns retyped`);
  }
  return parts.join('; ') || 'content changed';
}

function DiffBody(props: { diff: RunDiff }): React.JSX.Element {
  const d = props.diff;
  const [a, b] = [d.a.label, d.b.label];
  const code = d.code;
  const where = code.source === 'session' ? 'the session logs' : 'the cells each run tracked';
  return (
    <div className="jp-mlops-why-body">
      <p className="jp-mlops-headline">
        <strong>{d.headline}</strong>
      </p>
      <h3>Metrics</h3>
      {d.metrics.length ? (
        <table className="jp-mlops-table jp-mlops-why-metrics">
          <thead>
            <tr>
              <th>metric</th>
              <th>{a}</th>
              <th>{b}</th>
              <th>delta</th>
              <th>change</th>
            </tr>
          </thead>
          <tbody>
            {d.metrics.map(m => (
              <tr
                key={m.key}
                className={m.delta !== 0 && m.delta !== null ? 'jp-mlops-differs' : ''}
              >
                <th>{m.key}</th>
                <td>{metric(m.a)}</td>
                <td>{metric(m.b)}</td>
                <td>{metric(m.delta)}</td>
                <td>{relative(m.relative)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <div className="jp-mlops-muted">Neither run logged metrics.</div>
      )}
      <h3>Params</h3>
      {d.params.length ? (
        <table className="jp-mlops-table jp-mlops-why-params">
          <thead>
            <tr>
              <th>param</th>
              <th>change</th>
              <th>{a}</th>
              <th>{b}</th>
            </tr>
          </thead>
          <tbody>
            {d.params.map(p => (
              <tr key={p.key} data-param={p.key}>
                <th>{p.key}</th>
                <td>{p.change}</td>
                <td>{p.a ?? '—'}</td>
                <td>{p.b ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <div className="jp-mlops-muted">The same params.</div>
      )}
      <h3>Data versions</h3>
      {d.datasets.length || d.inputs.length ? (
        <table className="jp-mlops-table jp-mlops-why-data">
          <thead>
            <tr>
              <th>data</th>
              <th>change</th>
              <th>{a}</th>
              <th>{b}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {d.datasets.map(ds => (
              <tr
                key={`${ds.dataset}-${ds.direction}-${ds.role}`}
                className={ds.change === 'same' ? '' : 'jp-mlops-differs'}
              >
                <th>
                  {ds.dataset} ({ds.direction}, {ds.role})
                </th>
                <td>{ds.change}</td>
                <td>{ds.a ?? '—'}</td>
                <td>{ds.b ?? '—'}</td>
                <td>{ds.diff ? datasetSummary(ds.diff) : ''}</td>
              </tr>
            ))}
            {d.inputs.map(i => (
              <tr key={`${i.source}-${i.role}`} className="jp-mlops-differs">
                <th>
                  {i.source} ({i.kind}, {i.role})
                </th>
                <td>{i.change}</td>
                <td>{i.a?.slice(0, 12) ?? '—'}</td>
                <td>{i.b?.slice(0, 12) ?? '—'}</td>
                <td />
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <div className="jp-mlops-muted">Neither run recorded a dataset or input.</div>
      )}
      <h3>Environment</h3>
      {d.environment.length ? (
        <table className="jp-mlops-table jp-mlops-why-env">
          <thead>
            <tr>
              <th />
              <th>{a}</th>
              <th>{b}</th>
            </tr>
          </thead>
          <tbody>
            {d.environment.map(e => (
              <tr key={e.key}>
                <th>{e.key}</th>
                <td>{e.a ?? '—'}</td>
                <td>{e.b ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <div className="jp-mlops-muted">The same environment (Python, packages, git).</div>
      )}
      <h3>Code</h3>
      <div className="jp-mlops-muted">
        From {where}: {code.edited} edited, {code.added} added, {code.removed} removed,{' '}
        {code.unchanged} unchanged.
        {code.truncated ? ' A session log dropped its oldest cells.' : ''}
        {code.blocks.length ? '' : ' Neither run recorded cells.'}
      </div>
      <div className="jp-mlops-code-diff">
        {code.blocks.map((block, i) => (
          <Block key={i} block={block} />
        ))}
      </div>
    </div>
  );
}

export function WhyTab(props: { runs: ComparedRun[] }): React.JSX.Element {
  const { runs } = props;
  const [a, setA] = React.useState(runs[0]?.run_id ?? '');
  const [b, setB] = React.useState(runs[1]?.run_id ?? '');
  const answer = useApi(
    signal => (a && b && a !== b ? diffRuns({ a, b }, { signal }) : Promise.resolve(null)),
    [a, b]
  );
  const pick = (label: string, value: string, set: (v: string) => void) => (
    <label>
      {label}{' '}
      <select
        className="jp-mlops-select"
        aria-label={`Run ${label}`}
        value={value}
        onChange={e => set(e.target.value)}
      >
        {runs.map(r => (
          <option key={r.run_id} value={r.run_id}>
            {r.label}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <div className="jp-mlops-why">
      {runs.length > 2 ? (
        <div className="jp-mlops-toolbar jp-mlops-compare-controls">
          {pick('a', a, setA)} → {pick('b', b, setB)}
        </div>
      ) : null}
      {a === b ? <div className="jp-mlops-muted">Pick two different runs.</div> : null}
      <ErrorLine error={answer.error} />
      {answer.data ? (
        <DiffBody diff={answer.data} />
      ) : answer.loading ? (
        <div className="jp-mlops-muted">Diffing the runs…</div>
      ) : null}
    </div>
  );
}
