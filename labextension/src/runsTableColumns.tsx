// The runs table's columns: the fixed ones, one per chosen metric/param/tag, the default
// choice, the sort a header shows, and widths a person drags.
import * as React from 'react';

import { Badge, runTone } from './badges';
import { ago, duration, metric } from './format';
import { quoteKey } from './runsQuery';
import type { RunKeys, RunSummary } from './wire';

const DEFAULT_METRICS = 5;
const DEFAULT_PARAMS = 3;
const MIN_WIDTH = 48;

export interface IColumn {
  /** the sort key and the column's id: ``name``, ``metrics.auc``, ``params.C`` ... */
  key: string;
  label: string;
  value: (run: RunSummary) => React.ReactNode;
  title?: (run: RunSummary) => string;
  width: number;
}

/** The columns every table has; ``name``'s cell is the tree's (see ``NameCell``). */
export const FIXED: IColumn[] = [
  { key: 'name', label: 'Name', value: () => null, width: 260 },
  {
    key: 'status',
    label: 'Status',
    value: r =>
      r.deleted_at !== null ? (
        <Badge text="deleted" tone="neutral" />
      ) : (
        <Badge text={r.status} tone={runTone(r.status)} />
      ),
    width: 90
  },
  { key: 'experiment', label: 'Experiment', value: r => r.experiment, width: 120 },
  {
    key: 'start_time',
    label: 'Started',
    value: r => ago(r.start_time),
    title: r => new Date(r.start_time * 1000).toISOString(),
    width: 150
  },
  { key: 'duration', label: 'Duration', value: r => duration(r.duration), width: 90 }
];

/** The column of ``id``: ``metrics.auc``, ``params.C`` or ``tags.owner``. */
export function dataColumn(id: string): IColumn {
  const dot = id.indexOf('.');
  const group = id.slice(0, dot) as 'metrics' | 'params' | 'tags';
  const key = id.slice(dot + 1);
  const show = (r: RunSummary): string => {
    if (group === 'metrics') {
      return key in r.metrics ? metric(r.metrics[key]) : '';
    }
    return r[group][key] ?? '';
  };
  return {
    key: quoteKey(group, key),
    label: key,
    value: show,
    title: r => `${id} = ${show(r)}`,
    width: group === 'metrics' ? 100 : 120
  };
}

/** The default columns: the first few metrics, then params, the store has. */
export function defaultColumns(keys: RunKeys | null): string[] {
  if (keys === null) {
    return [];
  }
  return [
    ...keys.metrics.slice(0, DEFAULT_METRICS).map(k => `metrics.${k}`),
    ...keys.params.slice(0, DEFAULT_PARAMS).map(k => `params.${k}`)
  ];
}

/** The first sort key and whether it is descending (the default: newest first). */
export function sortOf(order: string[]): [string, boolean] {
  const match = /^(.*?)(?:\s+(asc|desc))?$/i.exec((order[0] ?? 'start_time desc').trim());
  return [match?.[1] ?? 'start_time', (match?.[2] ?? 'asc').toLowerCase() === 'desc'];
}

export interface IColumnWidths {
  /** The width a person dragged the column to, else its own. */
  widthOf: (column: IColumn) => number;
  /** Follow the mouse from ``startX`` until it is released, resizing column ``key``. */
  startResize: (key: string, startX: number, startWidth: number) => void;
}

/** Column widths as dragged by their edges (kept while the table is open). */
export function useColumnWidths(): IColumnWidths {
  const [widths, setWidths] = React.useState<Record<string, number>>({});
  const widthOf = (c: IColumn) => widths[c.key] ?? c.width;
  const startResize = (key: string, startX: number, startWidth: number) => {
    const move = (e: MouseEvent) => {
      const width = Math.max(MIN_WIDTH, startWidth + e.clientX - startX);
      setWidths(prev => ({ ...prev, [key]: width }));
    };
    const up = () => {
      window.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', up);
    };
    window.addEventListener('mousemove', move);
    window.addEventListener('mouseup', up);
  };
  return { widthOf, startResize };
}
