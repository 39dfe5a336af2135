// The compare view's plots over every run the runs table shows (its experiment and filter, not
// only the selected runs): parallel coordinates of the params that vary, coloured by a metric,
// and a param-vs-metric scatter. Both read ``GET runs/space``, the data the notebook panel
// draws too. SVG: at most a few thousand runs (the service's limit), each one shape with a title.
import * as React from 'react';

import { KeyPicker } from './common';
import { metric, realNumber } from './format';
import type { RunSpace, SpaceParam } from './wire';

const W = 920;
const H = 380;
const PAD = { left: 64, right: 64, top: 28, bottom: 44 };
const MAX_AXES = 12;
const LOW = '#2c7fb8';
const HIGH = '#f03b20';

/** Round tick values between ``lo`` and ``hi``. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    return [];
  }
  if (lo === hi) {
    return [lo];
  }
  const raw = (hi - lo) / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map(m => m * mag).find(s => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push(Number(t.toPrecision(12)));
  }
  return ticks;
}

function mix(a: string, b: string, t: number): string {
  const pa = [1, 3, 5].map(i => parseInt(a.slice(i, i + 2), 16));
  const pb = [1, 3, 5].map(i => parseInt(b.slice(i, i + 2), 16));
  return `rgb(${pa.map((v, i) => Math.round(v + (pb[i] - v) * t)).join(',')})`;
}

/** An axis: where a run's value sits (0 bottom .. 1 top), or null when it has none. */
interface IAxis {
  key: string;
  label: string;
  position: (i: number) => number | null;
  ticks: { at: number; text: string }[];
}

function numberAxis(key: string, label: string, values: (number | null)[]): IAxis {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (!finite.length) {
    [lo, hi] = [0, 1];
  }
  const span = hi - lo || 1;
  const base = hi === lo ? lo - 0.5 : lo;
  return {
    key,
    label,
    position: i => {
      const v = values[i];
      return v === null || !Number.isFinite(v) ? null : (v - base) / span;
    },
    ticks: niceTicks(lo, hi, 4).map(t => ({ at: (t - base) / span, text: metric(t) }))
  };
}

function paramAxis(param: SpaceParam): IAxis {
  const label = `params.${param.key}`;
  if (param.numeric) {
    return numberAxis(
      label,
      label,
      param.values.map(v => (v === null ? null : Number(v)))
    );
  }
  const names = [...new Set(param.values.filter((v): v is string => v !== null))].sort();
  const place = new Map(
    names.map((n, i) => [n, names.length === 1 ? 0.5 : i / (names.length - 1)])
  );
  return {
    key: label,
    label,
    position: i => {
      const v = param.values[i];
      return v === null ? null : (place.get(v) ?? null);
    },
    ticks: names.slice(0, 12).map(n => ({ at: place.get(n) ?? 0, text: n }))
  };
}

function metricValues(space: RunSpace, key: string): (number | null)[] {
  const found = space.metrics.find(m => m.key === key);
  return space.runs.map((_, i) => {
    const v = found?.values[i];
    return v === null || v === undefined ? null : realNumber(v);
  });
}

function SpaceNote(props: { space: RunSpace; scope: string }): React.JSX.Element {
  const { space } = props;
  const over = space.total > space.runs.length;
  return (
    <div className="jp-mlops-muted jp-mlops-space-note">
      {space.runs.length.toLocaleString()} runs {props.scope}
      {over
        ? ` (the newest ${space.runs.length.toLocaleString()} of ${space.total.toLocaleString()})`
        : ''}
      ; the compared runs are drawn bold.
    </div>
  );
}

export function ParallelTab(props: {
  space: RunSpace;
  selected: Set<string>;
  scope: string;
}): React.JSX.Element {
  const { space, selected } = props;
  const [key, setKey] = React.useState(space.metrics[0]?.key ?? '');
  const [hover, setHover] = React.useState<number | null>(null);
  const varied = space.params.filter(p => p.distinct > 1).slice(0, MAX_AXES);
  if (space.runs.length < 2 || !space.metrics.length) {
    return (
      <div className="jp-mlops-muted">
        Parallel coordinates need two runs or more with a metric; {space.runs.length} runs{' '}
        {props.scope}.
      </div>
    );
  }
  const colourBy = metricValues(space, key);
  const colour = numberAxis(`metrics.${key}`, `metrics.${key}`, colourBy);
  const axes = [...varied.map(paramAxis), colour];
  const xOf = (j: number) =>
    PAD.left + (axes.length === 1 ? 0.5 : j / (axes.length - 1)) * (W - PAD.left - PAD.right);
  const yOf = (p: number) => PAD.top + (1 - p) * (H - PAD.top - PAD.bottom);
  const order = space.runs
    .map((_, i) => i)
    .sort((a, b) => {
      // The compared runs last, so they are drawn on top.
      return (
        Number(selected.has(space.runs[a].run_id)) - Number(selected.has(space.runs[b].run_id))
      );
    });
  const paths = order.map(i => {
    const pts = axes
      .map((axis, j) => {
        const p = axis.position(i);
        return p === null ? null : `${xOf(j).toFixed(1)},${yOf(p).toFixed(1)}`;
      })
      .filter((p): p is string => p !== null);
    const c = colour.position(i);
    const run = space.runs[i];
    const bold = selected.has(run.run_id);
    return (
      <polyline
        key={run.run_id}
        points={pts.join(' ')}
        className={`jp-mlops-parallel-line${bold ? ' jp-mod-selected' : ''}${hover === i ? ' jp-mod-hover' : ''}`}
        stroke={c === null ? 'var(--jp-ui-font-color3)' : mix(LOW, HIGH, c)}
        data-run={run.name}
        onMouseEnter={() => setHover(i)}
        onMouseLeave={() => setHover(null)}
      >
        <title>{`${run.label}: ${key} ${metric(colourBy[i])}`}</title>
      </polyline>
    );
  });
  return (
    <div className="jp-mlops-parallel">
      <div className="jp-mlops-toolbar jp-mlops-compare-controls">
        <KeyPicker
          label="Colour by"
          ariaLabel="Colour by metric"
          keys={space.metrics.map(m => m.key)}
          value={key}
          onChange={setKey}
        />
        <span className="jp-mlops-muted">
          {varied.length
            ? `${varied.length} params that vary → metrics.${key}`
            : 'No param varies across these runs.'}
        </span>
      </div>
      <SpaceNote space={space} scope={props.scope} />
      <svg
        className="jp-mlops-space-chart"
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`Parallel coordinates of ${space.runs.length} runs`}
        data-lines={space.runs.length}
        data-axes={axes.length}
      >
        <g>{paths}</g>
        {axes.map((axis, j) => (
          <g key={axis.key} className="jp-mlops-parallel-axis" data-axis={axis.key}>
            <line x1={xOf(j)} x2={xOf(j)} y1={yOf(0)} y2={yOf(1)} className="jp-mlops-axis" />
            <text x={xOf(j)} y={PAD.top - 10} textAnchor="middle" className="jp-mlops-axis-label">
              {axis.label.length > 22 ? `${axis.label.slice(0, 21)}…` : axis.label}
            </text>
            {axis.ticks.map(t => (
              <text
                key={`${t.at}-${t.text}`}
                x={xOf(j) - 4}
                y={yOf(t.at) + 3}
                textAnchor="end"
                className="jp-mlops-tick"
              >
                {t.text.length > 12 ? `${t.text.slice(0, 11)}…` : t.text}
              </text>
            ))}
          </g>
        ))}
      </svg>
      <div className="jp-mlops-muted" aria-live="polite">
        {hover === null
          ? 'Point at a line to name its run.'
          : `${space.runs[hover].label}: ${key} ${metric(colourBy[hover])}`}
      </div>
    </div>
  );
}

export function ScatterTab(props: {
  space: RunSpace;
  selected: Set<string>;
  scope: string;
}): React.JSX.Element {
  const { space, selected } = props;
  const varied = space.params.filter(p => p.distinct > 1);
  const [paramKey, setParamKey] = React.useState(
    [...varied, ...space.params].map(p => p.key).concat('')[0]
  );
  const [metricKey, setMetricKey] = React.useState(space.metrics[0]?.key ?? '');
  const [hover, setHover] = React.useState<number | null>(null);
  const param = space.params.find(p => p.key === paramKey);
  if (space.runs.length < 2 || !param || !space.metrics.length) {
    return (
      <div className="jp-mlops-muted">
        A scatter needs runs with a param and a metric; {space.runs.length} runs {props.scope}.
      </div>
    );
  }
  const xAxis = paramAxis(param);
  const ys = metricValues(space, metricKey);
  const yAxis = numberAxis(`metrics.${metricKey}`, `metrics.${metricKey}`, ys);
  const xOf = (p: number) => PAD.left + 10 + p * (W - PAD.left - PAD.right - 20);
  const yOf = (p: number) => PAD.top + (1 - p) * (H - PAD.top - PAD.bottom);
  const drawn = space.runs
    .map((run, i) => ({ run, i, x: xAxis.position(i), y: yAxis.position(i) }))
    .filter(d => d.x !== null && d.y !== null)
    .sort((a, b) => Number(selected.has(a.run.run_id)) - Number(selected.has(b.run.run_id)));
  const hovered = hover === null ? null : (drawn.find(d => d.i === hover) ?? null);
  return (
    <div className="jp-mlops-scatter">
      <div className="jp-mlops-toolbar jp-mlops-compare-controls">
        <KeyPicker
          label="Param (x)"
          ariaLabel="Param"
          keys={space.params.map(p => p.key)}
          value={paramKey}
          onChange={setParamKey}
        />
        <KeyPicker
          label="Metric (y)"
          ariaLabel="Scatter metric"
          keys={space.metrics.map(m => m.key)}
          value={metricKey}
          onChange={setMetricKey}
        />
      </div>
      <SpaceNote space={space} scope={props.scope} />
      <svg
        className="jp-mlops-space-chart"
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`metrics.${metricKey} by params.${paramKey}`}
        data-points={drawn.length}
      >
        <line className="jp-mlops-axis" x1={PAD.left} x2={W - PAD.right} y1={yOf(0)} y2={yOf(0)} />
        <line className="jp-mlops-axis" x1={PAD.left} x2={PAD.left} y1={yOf(0)} y2={yOf(1)} />
        {yAxis.ticks.map(t => (
          <g key={`y${t.text}`}>
            <line
              className="jp-mlops-grid"
              x1={PAD.left}
              x2={W - PAD.right}
              y1={yOf(t.at)}
              y2={yOf(t.at)}
            />
            <text className="jp-mlops-tick" x={PAD.left - 6} y={yOf(t.at) + 3} textAnchor="end">
              {t.text}
            </text>
          </g>
        ))}
        {xAxis.ticks.map(t => (
          <text
            key={`x${t.text}`}
            className="jp-mlops-tick"
            x={xOf(t.at)}
            y={yOf(0) + 16}
            textAnchor="middle"
          >
            {t.text.length > 14 ? `${t.text.slice(0, 13)}…` : t.text}
          </text>
        ))}
        <text className="jp-mlops-axis-label" x={(W + PAD.left) / 2} y={H - 6} textAnchor="middle">
          params.{paramKey}
        </text>
        <text
          className="jp-mlops-axis-label"
          x={12}
          y={(H - PAD.bottom + PAD.top) / 2}
          textAnchor="middle"
          transform={`rotate(-90 12 ${(H - PAD.bottom + PAD.top) / 2})`}
        >
          metrics.{metricKey}
        </text>
        {drawn.map(d => (
          <circle
            key={d.run.run_id}
            className={`jp-mlops-scatter-dot${selected.has(d.run.run_id) ? ' jp-mod-selected' : ''}`}
            cx={xOf(d.x ?? 0)}
            cy={yOf(d.y ?? 0)}
            r={selected.has(d.run.run_id) ? 6 : 4}
            data-run={d.run.name}
            onMouseEnter={() => setHover(d.i)}
            onMouseLeave={() => setHover(null)}
          >
            <title>{`${d.run.label}: ${paramKey} ${param.values[d.i]}, ${metricKey} ${metric(ys[d.i])}`}</title>
          </circle>
        ))}
      </svg>
      <div className="jp-mlops-muted" aria-live="polite">
        {hovered === null
          ? `${drawn.length.toLocaleString()} runs logged both; point at a dot to name its run.`
          : `${hovered.run.label}: params.${paramKey} = ${param.values[hovered.i]}, metrics.${metricKey} = ${metric(ys[hovered.i])}`}
      </div>
    </div>
  );
}
