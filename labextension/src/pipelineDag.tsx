// A pipeline run's steps as a graph: each step a box coloured by its status, an arrow from
// every step it needs; laid out top to bottom in levels so it fits a narrow sidebar.
import * as React from 'react';

import { stepTone } from './badges';
import type { StepStatus } from './wire';

export interface IDagStep {
  name: string;
  status: StepStatus;
  needs: string[];
  /** Why it was cached or skipped, or where it failed (the box's tooltip). */
  reason: string;
}

const BOX_W = 104;
const BOX_H = 34;
const GAP_X = 12;
const GAP_Y = 22;

/** Each step's level: 0 for steps that need nothing, else one more than its deepest need. */
function levels(steps: IDagStep[]): Map<string, number> {
  const byName = new Map(steps.map(s => [s.name, s]));
  const level = new Map<string, number>();
  const visit = (name: string, seen: Set<string>): number => {
    const known = level.get(name);
    if (known !== undefined) {
      return known;
    }
    if (seen.has(name)) {
      return 0; // a cycle cannot be stored, but never loop on one
    }
    seen.add(name);
    const needs = (byName.get(name)?.needs ?? []).filter(n => byName.has(n));
    const mine = needs.length ? Math.max(...needs.map(n => visit(n, seen))) + 1 : 0;
    level.set(name, mine);
    return mine;
  };
  steps.forEach(s => visit(s.name, new Set()));
  return level;
}

/** The step graph; clicking a step selects it (its log shows below). */
export function PipelineDag(props: {
  steps: IDagStep[];
  selected: string | null;
  select: (step: string) => void;
}): React.JSX.Element | null {
  const { steps } = props;
  if (steps.length === 0) {
    return null;
  }
  const level = levels(steps);
  const rows: IDagStep[][] = [];
  steps.forEach(s => {
    const l = level.get(s.name) ?? 0;
    (rows[l] ??= []).push(s);
  });
  const widest = Math.max(...rows.map(r => r.length));
  const width = widest * BOX_W + (widest - 1) * GAP_X;
  const height = rows.length * BOX_H + (rows.length - 1) * GAP_Y;
  const at = new Map<string, { x: number; y: number }>();
  rows.forEach((row, l) => {
    const used = row.length * BOX_W + (row.length - 1) * GAP_X;
    row.forEach((s, i) => {
      at.set(s.name, {
        x: (width - used) / 2 + i * (BOX_W + GAP_X),
        y: l * (BOX_H + GAP_Y)
      });
    });
  });
  return (
    <svg
      className="jp-mlops-dag"
      viewBox={`-2 -2 ${width + 4} ${height + 4}`}
      style={{ maxWidth: `${width + 4}px` }}
      role="img"
      aria-label="Step graph"
    >
      <defs>
        <marker
          id="jp-mlops-dag-arrow"
          viewBox="0 0 6 6"
          refX="5"
          refY="3"
          markerWidth="6"
          markerHeight="6"
          orient="auto"
        >
          <path d="M0,0 L6,3 L0,6 z" className="jp-mlops-dag-arrowhead" />
        </marker>
      </defs>
      {steps.flatMap(s =>
        s.needs.map(n => {
          const from = at.get(n);
          const to = at.get(s.name);
          return from === undefined || to === undefined ? null : (
            <line
              key={`${n}->${s.name}`}
              className="jp-mlops-dag-edge"
              x1={from.x + BOX_W / 2}
              y1={from.y + BOX_H}
              x2={to.x + BOX_W / 2}
              y2={to.y - 1}
              markerEnd="url(#jp-mlops-dag-arrow)"
            />
          );
        })
      )}
      {steps.map(s => {
        const { x, y } = at.get(s.name) ?? { x: 0, y: 0 };
        const label = s.name.length > 14 ? `${s.name.slice(0, 13)}…` : s.name;
        return (
          <g
            key={s.name}
            className={`jp-mlops-dag-node jp-mlops-tone-${stepTone(s.status)}${
              props.selected === s.name ? ' jp-mod-selected' : ''
            }`}
            data-dag-step={s.name}
            data-status={s.status}
            transform={`translate(${x},${y})`}
            role="button"
            tabIndex={0}
            onClick={() => {
              props.select(s.name);
            }}
            onKeyDown={e => {
              if (e.key === 'Enter') {
                props.select(s.name);
              }
            }}
          >
            <title>{`${s.name}: ${s.status}${s.reason ? ` — ${s.reason}` : ''}`}</title>
            <rect width={BOX_W} height={BOX_H} rx={5} />
            <text x={BOX_W / 2} y={14} textAnchor="middle" className="jp-mlops-dag-name">
              {label}
            </text>
            <text x={BOX_W / 2} y={27} textAnchor="middle" className="jp-mlops-dag-status">
              {s.status === 'cached' ? 'cached · unchanged' : s.status}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
