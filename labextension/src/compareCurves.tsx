// The compare view's "Curves" tab: one metric of every compared run overlaid, with a metric
// picker, log scale, TensorBoard-style smoothing and a step / relative time / wall time axis.
import * as React from 'react';

import { compareRuns } from './client';
import { ErrorLine, KeyPicker, useApi } from './common';
import { CurveChart, type ICurveLine, PALETTE, type XAxis } from './compareChart';
import { realNumber } from './format';
import type { ComparedCurve, ComparedRun } from './wire';

/** Points per run and curve asked of the server: more than a chart's width shows. */
export const CURVE_POINTS = 1000;

/**
 * TensorBoard's smoothing: an exponential moving average, debiased so the first points are
 * not pulled toward zero. A missing value (null) passes through and does not move the average.
 */
export function smooth(ys: (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) {
    return ys;
  }
  let last = 0;
  let count = 0;
  return ys.map(y => {
    if (y === null || !Number.isFinite(y)) {
      return y;
    }
    last = last * weight + (1 - weight) * y;
    count += 1;
    return last / (1 - Math.pow(weight, count));
  });
}

/** The chart's lines from a curve: x by ``axis``, y smoothed, non-positive y dropped on a log scale. */
export function curveLines(
  curve: ComparedCurve,
  runs: ComparedRun[],
  axis: XAxis,
  weight: number,
  log: boolean
): ICurveLine[] {
  const index = new Map(runs.map((r, i) => [r.run_id, i]));
  return curve.runs.map(line => {
    const i = index.get(line.run_id) ?? 0;
    const { steps, timestamps } = line;
    let t0 = Infinity;
    for (const t of timestamps) {
      t0 = Math.min(t0, t); // not Math.min(...timestamps): a long spread overflows the stack
    }
    const raw = line.values.map(value => {
      const v = realNumber(value);
      return Number.isFinite(v) && (!log || v > 0) ? v : null;
    });
    const ys = smooth(raw, weight);
    const xs =
      axis === 'step' ? steps : axis === 'relative' ? timestamps.map(t => t - t0) : timestamps;
    // Steps come in order; times nearly always do, but a chart needs them sorted.
    const order = xs.map((_, k) => k);
    if (axis !== 'step') {
      order.sort((a, b) => xs[a] - xs[b]);
    }
    return {
      label: runs[i]?.label ?? line.run_id.slice(0, 8),
      xs: order.map(k => xs[k]),
      ys: order.map(k => ys[k]),
      raw: order.map(k => raw[k]),
      color: PALETTE[i % PALETTE.length]
    };
  });
}

export function CurvesTab(props: {
  runIds: string[];
  runs: ComparedRun[];
  metrics: string[];
  /** metrics logged at more than one step: the first is shown first */
  withHistory: string[];
  /** a curve already read (the first shown), at most CURVE_POINTS points per run */
  first: ComparedCurve | null;
}): React.JSX.Element {
  const [key, setKey] = React.useState([...props.withHistory, ...props.metrics, ''][0]);
  const [axis, setAxis] = React.useState<XAxis>('step');
  const [log, setLog] = React.useState(false);
  const [weight, setWeight] = React.useState(0);
  const [drawMs, setDrawMs] = React.useState<number | null>(null);
  const { runIds, first } = props;
  // The curve read with the comparison is not read again; any other metric's is.
  const own = key !== '' && key !== first?.key;
  const answer = useApi(
    signal => compareRuns({ run: runIds, curve: [key], max_points: CURVE_POINTS }, { signal }),
    [runIds, key],
    { enabled: own }
  );
  const curve = own ? (answer.data?.curves[0] ?? null) : first;
  const runs = (own ? answer.data?.runs : null) ?? props.runs;
  const lines = React.useMemo(
    () => (curve === null ? [] : curveLines(curve, runs, axis, weight, log)),
    [curve, runs, axis, weight, log]
  );
  const onDrawn = React.useCallback((ms: number) => setDrawMs(ms), []);
  if (!props.metrics.length) {
    return <div className="jp-mlops-muted">None of these runs logged metrics.</div>;
  }
  const thinned = curve?.downsampled
    ? `Long histories are downsampled to at most ${CURVE_POINTS.toLocaleString()} points per ` +
      `run (the lowest and highest value of each step bucket, so spikes stay); up to ` +
      `${Math.max(...curve.logged).toLocaleString()} were logged.`
    : '';
  return (
    <div className="jp-mlops-compare-curves">
      <div className="jp-mlops-toolbar jp-mlops-compare-controls">
        <KeyPicker
          label="Metric"
          ariaLabel="Metric"
          keys={props.metrics}
          value={key}
          onChange={setKey}
        />
        <label>
          X axis{' '}
          <select
            className="jp-mlops-select"
            aria-label="X axis"
            value={axis}
            onChange={e => setAxis(e.target.value as XAxis)}
          >
            <option value="step">step</option>
            <option value="relative">relative time</option>
            <option value="wall">wall time</option>
          </select>
        </label>
        <label>
          <input type="checkbox" checked={log} onChange={e => setLog(e.target.checked)} /> Log scale
        </label>
        <label className="jp-mlops-smoothing">
          Smoothing{' '}
          <input
            type="range"
            aria-label="Smoothing"
            min={0}
            max={0.99}
            step={0.01}
            value={weight}
            onChange={e => setWeight(Number(e.target.value))}
          />{' '}
          <output>{weight.toFixed(2)}</output>
        </label>
      </div>
      <ErrorLine error={own ? answer.error : null} />
      {curve === null ? (
        <div className="jp-mlops-muted">{answer.loading ? 'Reading the curves…' : ''}</div>
      ) : (
        <>
          <div
            className="jp-mlops-curve-frame"
            data-metric={curve.key}
            data-draw-ms={drawMs === null ? undefined : drawMs.toFixed(1)}
          >
            <CurveChart lines={lines} xAxis={axis} log={log} onDrawn={onDrawn} />
          </div>
          <div className="jp-mlops-muted">
            {log && lines.some(l => l.raw.some(v => v === null))
              ? 'Values at or below zero are left out on a log scale. '
              : ''}
            {thinned} Drag across the chart to zoom, double-click to zoom out.
          </div>
          <Legend lines={lines} />
        </>
      )}
    </div>
  );
}

function Legend(props: { lines: ICurveLine[] }): React.JSX.Element {
  const shown = props.lines.slice(0, 40);
  return (
    <ul className="jp-mlops-legend" aria-label="Runs">
      {shown.map(line => (
        <li key={line.label}>
          <span className="jp-mlops-swatch" style={{ background: line.color }} />
          {line.label}
        </li>
      ))}
      {props.lines.length > shown.length ? (
        <li className="jp-mlops-muted">and {props.lines.length - shown.length} more runs</li>
      ) : null}
    </ul>
  );
}
