// Inline SVG line charts drawn from metric history: no chart library, nothing to load.
import * as React from 'react';

import { metric } from './format';

export interface IPoint {
  x: number;
  y: number | null;
}

export interface ILineChartProps {
  title: string;
  points: IPoint[];
  width?: number;
  height?: number;
  /** a horizontal reference line (e.g. a monitor's threshold) */
  threshold?: number | null;
  xLabel?: string;
}

/** A line chart with its min/max and last value; NaN points break the line. */
export function LineChart(props: ILineChartProps): React.JSX.Element {
  const width = props.width ?? 320;
  const height = props.height ?? 140;
  const pad = { left: 44, right: 8, top: 8, bottom: 20 };
  const finite = props.points.filter(p => p.y !== null && Number.isFinite(p.y)) as {
    x: number;
    y: number;
  }[];
  if (finite.length === 0) {
    return (
      <div className="jp-mlops-chart jp-mlops-muted" data-chart={props.title}>
        {props.title}: no finite values
      </div>
    );
  }
  const xs = props.points.map(p => p.x);
  const ys = finite.map(p => p.y);
  if (props.threshold !== null && props.threshold !== undefined) {
    ys.push(props.threshold);
  }
  let [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
  let [yMin, yMax] = [Math.min(...ys), Math.max(...ys)];
  if (xMin === xMax) {
    xMin -= 1;
    xMax += 1;
  }
  if (yMin === yMax) {
    const d = Math.abs(yMin) * 0.1 || 1;
    yMin -= d;
    yMax += d;
  }
  const sx = (x: number) =>
    pad.left + ((x - xMin) / (xMax - xMin)) * (width - pad.left - pad.right);
  const sy = (y: number) =>
    pad.top + (1 - (y - yMin) / (yMax - yMin)) * (height - pad.top - pad.bottom);

  // One path segment per run of finite points, so a NaN leaves a visible gap.
  const segments: string[] = [];
  let current: string[] = [];
  for (const p of props.points) {
    if (p.y === null || !Number.isFinite(p.y)) {
      if (current.length) {
        segments.push(current.join(' '));
      }
      current = [];
      continue;
    }
    current.push(`${current.length ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`);
  }
  if (current.length) {
    segments.push(current.join(' '));
  }
  const last = finite[finite.length - 1];
  return (
    <figure className="jp-mlops-chart" data-chart={props.title}>
      <figcaption>
        <span className="jp-mlops-chart-title">{props.title}</span>
        <span className="jp-mlops-muted"> last {metric(last.y)}</span>
      </figcaption>
      <svg
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`${props.title} chart`}
      >
        <line
          className="jp-mlops-axis"
          x1={pad.left}
          y1={height - pad.bottom}
          x2={width - pad.right}
          y2={height - pad.bottom}
        />
        <line
          className="jp-mlops-axis"
          x1={pad.left}
          y1={pad.top}
          x2={pad.left}
          y2={height - pad.bottom}
        />
        <text className="jp-mlops-tick" x={pad.left - 4} y={pad.top + 8} textAnchor="end">
          {metric(yMax)}
        </text>
        <text className="jp-mlops-tick" x={pad.left - 4} y={height - pad.bottom} textAnchor="end">
          {metric(yMin)}
        </text>
        <text className="jp-mlops-tick" x={pad.left} y={height - 4} textAnchor="start">
          {metric(xMin)}
        </text>
        <text className="jp-mlops-tick" x={width - pad.right} y={height - 4} textAnchor="end">
          {props.xLabel ? `${props.xLabel} ${metric(xMax)}` : metric(xMax)}
        </text>
        {props.threshold !== null && props.threshold !== undefined ? (
          <line
            className="jp-mlops-threshold"
            x1={pad.left}
            x2={width - pad.right}
            y1={sy(props.threshold)}
            y2={sy(props.threshold)}
          />
        ) : null}
        {segments.map((d, i) => (
          <path key={i} className="jp-mlops-line" d={d} />
        ))}
        {finite.length <= 50
          ? finite.map((p, i) => (
              <circle key={i} className="jp-mlops-dot" cx={sx(p.x)} cy={sy(p.y)} r={2.5} />
            ))
          : null}
      </svg>
    </figure>
  );
}
