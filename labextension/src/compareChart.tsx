// Overlaid metric curves drawn with uPlot (canvas, ~50 KB): 100 runs x 10,000 points draw in a
// few tens of milliseconds, where SVG or a heavier library takes seconds. Each run keeps its own
// x values (uPlot's mode 2), so runs logged at different steps or times need no alignment.
import * as React from 'react';
import uPlot from 'uplot';

import { metric } from './format';

/** One run's line: its x and y values (x ascending; null breaks the line). */
export interface ICurveLine {
  label: string;
  xs: number[];
  ys: (number | null)[];
  /** the logged values, for the tooltip when ``ys`` are smoothed */
  raw: (number | null)[];
  color: string;
}

export type XAxis = 'step' | 'relative' | 'wall';

export interface ICurveChartProps {
  lines: ICurveLine[];
  xAxis: XAxis;
  log: boolean;
  height?: number;
  /** called after each draw with the milliseconds it took */
  onDrawn?: (ms: number) => void;
}

/** Categorical colours readable on light and dark backgrounds (Tableau 10). */
export const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac'
];

/** A JupyterLab theme colour (CSS variable), read when a chart is drawn. */
export function themeColor(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value || fallback;
}

/** Changes each time the JupyterLab theme switches (light/dark), to redraw charts. */
export function useThemeKey(): string {
  const read = () => document.body.getAttribute('data-jp-theme-name') ?? '';
  const [key, setKey] = React.useState(read);
  React.useEffect(() => {
    const observer = new MutationObserver(() => setKey(read()));
    observer.observe(document.body, { attributes: true, attributeFilter: ['data-jp-theme-name'] });
    return () => observer.disconnect();
  }, []);
  return key;
}

/** "1h 2m", "3m 4s", "5.2s": a relative time on the x axis. */
export function shortDuration(seconds: number): string {
  const s = Math.abs(seconds);
  if (s < 1) {
    return `${Math.round(seconds * 1000)}ms`;
  }
  if (s < 60) {
    return `${Number(seconds.toFixed(s < 10 ? 1 : 0))}s`;
  }
  if (s < 3600) {
    return `${Math.floor(seconds / 60)}m ${Math.round(seconds % 60)}s`;
  }
  return `${Math.floor(seconds / 3600)}h ${Math.round((seconds % 3600) / 60)}m`;
}

export function xText(x: number, axis: XAxis): string {
  if (axis === 'wall') {
    return new Date(x * 1000).toLocaleString();
  }
  return axis === 'relative' ? shortDuration(x) : String(x);
}

// uPlot's bundled path builders are always there; its types mark them optional.
function linearPaths(): uPlot.Series.PathBuilder {
  const make = uPlot.paths.linear;
  if (make === undefined) {
    throw new Error('this uPlot build has no linear paths');
  }
  return make();
}
const LINEAR = linearPaths();
/** Tick spacings of a step axis: 1, 2, 5, 10, 20, 50, ... */
const STEP_INCREMENTS = Array.from(
  { length: 45 },
  (_, i) => [1, 2, 5][i % 3] * 10 ** Math.floor(i / 3)
);
/** Series with at most this many points also draw a marker at each. */
const FEW_POINTS = 30;

/**
 * A dot at each point of the series that have few: a metric logged once (a final score) is a
 * point, not a line, and without a marker its chart would show empty axes. Drawn here, not
 * by uPlot's own points, which its faceted mode leaves out.
 */
function drawMarkers(u: uPlot, lines: ICurveLine[]): void {
  const ctx = u.ctx;
  const { left, top, width, height } = u.bbox;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  for (const line of lines) {
    if (line.xs.length > FEW_POINTS) {
      continue;
    }
    const radius = (line.xs.length === 1 ? 4 : 3) * devicePixelRatio;
    ctx.fillStyle = line.color;
    line.xs.forEach((x, i) => {
      const y = line.ys[i];
      if (y === null || !Number.isFinite(y)) {
        return;
      }
      ctx.beginPath();
      ctx.arc(u.valToPos(x, 'x', true), u.valToPos(y, 'y', true), radius, 0, 2 * Math.PI);
      ctx.fill();
    });
  }
  ctx.restore();
}

interface IHover {
  left: number;
  top: number;
  line: ICurveLine;
  index: number;
}

/** The point nearest the cursor (in pixels) over every line, within 24 px. */
function nearest(u: uPlot, lines: ICurveLine[], left: number, top: number): IHover | null {
  let best: IHover | null = null;
  let bestDist = 24 * 24;
  const xAt = u.posToVal(left, 'x');
  lines.forEach(line => {
    const xs = line.xs;
    if (!xs.length) {
      return;
    }
    // Binary search the x nearest the cursor, then look a few points either side.
    let lo = 0;
    let hi = xs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (xs[mid] < xAt) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    // Every point within reach either side (a vertical run of points shares one x).
    const visit = (i: number): boolean => {
      const dx = u.valToPos(xs[i], 'x') - left;
      if (dx * dx > bestDist) {
        return false;
      }
      const y = line.ys[i];
      if (y !== null) {
        const dy = u.valToPos(y, 'y') - top;
        const dist = dx * dx + dy * dy;
        if (dist < bestDist) {
          bestDist = dist;
          best = { left: u.valToPos(xs[i], 'x'), top: u.valToPos(y, 'y'), line, index: i };
        }
      }
      return true;
    };
    for (let i = lo; i < xs.length && visit(i); i++) {
      // walk right while the points are within reach
    }
    for (let i = lo - 1; i >= 0 && visit(i); i--) {
      // walk left while the points are within reach
    }
  });
  return best;
}

/** Every run's curve of one metric on one chart, with a tooltip for the nearest point. */
export function CurveChart(props: ICurveChartProps): React.JSX.Element {
  const box = React.useRef<HTMLDivElement>(null);
  const plot = React.useRef<uPlot | null>(null);
  const [width, setWidth] = React.useState(0);
  const [hover, setHover] = React.useState<IHover | null>(null);
  const theme = useThemeKey();
  const height = props.height ?? 380;
  const { lines, xAxis, log, onDrawn } = props;

  React.useEffect(() => {
    const node = box.current;
    if (!node) {
      return;
    }
    const observer = new ResizeObserver(entries => {
      const w = Math.floor(entries[0].contentRect.width);
      setWidth(prev => (Math.abs(prev - w) > 2 ? w : prev));
    });
    observer.observe(node);
    return () => observer.disconnect();
  }, []);

  React.useEffect(() => {
    const node = box.current;
    if (!node || width < 50) {
      return;
    }
    const started = performance.now();
    let drawn = false;
    const axisColor = themeColor('--jp-ui-font-color2', '#616161');
    const gridColor = themeColor('--jp-border-color2', '#e0e0e0');
    const font = `11px ${themeColor('--jp-ui-font-family', 'sans-serif')}`;
    const axis: uPlot.Axis = {
      stroke: axisColor,
      grid: { stroke: gridColor, width: 1 },
      ticks: { stroke: gridColor, width: 1 },
      font
    };
    const opts: uPlot.Options = {
      mode: uPlot.Mode.Faceted,
      width,
      height,
      legend: { show: false },
      cursor: { points: { show: false }, drag: { x: true, y: false, setScale: true } },
      scales: {
        x: {
          time: xAxis === 'wall',
          auto: true,
          // Runs that each logged the metric once all sit at one x: give the axis a width.
          range: (_u: uPlot, min: number, max: number): uPlot.Range.MinMax =>
            min === max ? [min - 1, max + 1] : [min, max]
        },
        y: log
          ? { auto: true, distr: uPlot.Scale.Distr.Logarithmic }
          : {
              auto: true,
              // A margin, so a run's best or worst value is not drawn on the chart's edge.
              range: (_u: uPlot, min: number, max: number): uPlot.Range.MinMax => {
                const pad = (max - min) * 0.05 || Math.abs(min) * 0.05 || 1;
                return [min - pad, max + pad];
              }
            }
      },
      axes: [
        {
          ...axis,
          // Steps are whole numbers: no tick at step 0.2.
          incrs: xAxis === 'step' ? STEP_INCREMENTS : undefined,
          values:
            xAxis === 'relative'
              ? (_u: uPlot, ticks: number[]) => ticks.map(shortDuration)
              : undefined
        },
        { ...axis, size: 60, values: (_u: uPlot, ticks: number[]) => ticks.map(t => metric(t)) }
      ],
      series: [
        {},
        ...lines.map(line => ({
          label: line.label,
          stroke: line.color,
          width: 1.5,
          points: { show: false },
          paths: LINEAR
        }))
      ],
      hooks: {
        // The first draw's end: how long the chart took (the browser test prints it).
        draw: [
          (u: uPlot) => {
            drawMarkers(u, lines);
            if (!drawn) {
              drawn = true;
              onDrawn?.(performance.now() - started);
            }
          }
        ],
        setCursor: [
          (u: uPlot) => {
            const { left, top } = u.cursor;
            if (left === undefined || top === undefined || left < 0) {
              setHover(null);
              return;
            }
            setHover(nearest(u, lines, left, top));
          }
        ]
      }
    };
    // Mode 2 data: [null, [xs, ys] per series]; uPlot's types describe mode 1 only.
    const data = [null, ...lines.map(line => [line.xs, line.ys])] as unknown as uPlot.AlignedData;
    plot.current?.destroy();
    node.querySelector('.uplot')?.remove();
    plot.current = new uPlot(opts, data, node);
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [lines, xAxis, log, width, height, theme, onDrawn]);

  const tooltip =
    hover === null ? null : (
      <div
        className="jp-mlops-chart-tooltip"
        role="tooltip"
        style={{
          left: Math.min(hover.left + 12, Math.max(0, width - 220)),
          top: Math.max(0, hover.top - 8)
        }}
      >
        <div className="jp-mlops-chart-tooltip-run">
          <span className="jp-mlops-swatch" style={{ background: hover.line.color }} />
          {hover.line.label}
        </div>
        <div>
          {xAxis === 'step' ? 'step' : xAxis === 'relative' ? 'after' : 'at'}{' '}
          {xText(hover.line.xs[hover.index], xAxis)}
        </div>
        <div>
          value {metric(hover.line.raw[hover.index])}
          {hover.line.raw[hover.index] !== hover.line.ys[hover.index]
            ? ` (smoothed ${metric(hover.line.ys[hover.index])})`
            : ''}
        </div>
      </div>
    );
  return (
    <div
      className="jp-mlops-curve-chart"
      ref={box}
      data-series={lines.length}
      data-points={lines.reduce((n, l) => n + l.xs.length, 0)}
      onMouseLeave={() => setHover(null)}
    >
      {tooltip}
    </div>
  );
}
