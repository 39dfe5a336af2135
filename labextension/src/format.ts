// How the tabs show times, durations, sizes, counts and metric values: one place for each.
import type { Real } from './wire';

/** "3 s ago", "5 min ago", "2 h ago", or a date for older times (epoch seconds in). */
export function ago(epoch: number | null | undefined): string {
  if (epoch === null || epoch === undefined) {
    return '—';
  }
  const seconds = Date.now() / 1000 - epoch;
  if (seconds < 0) {
    return inFuture(epoch);
  }
  if (seconds < 60) {
    return `${Math.round(seconds)} s ago`;
  }
  if (seconds < 3600) {
    return `${Math.round(seconds / 60)} min ago`;
  }
  if (seconds < 86400) {
    return `${Math.round(seconds / 3600)} h ago`;
  }
  return dateTime(epoch);
}

/** "in 4 min", "in 2 h", or a date (for a next run time). */
export function inFuture(epoch: number | null | undefined): string {
  if (epoch === null || epoch === undefined) {
    return '—';
  }
  const seconds = epoch - Date.now() / 1000;
  if (seconds <= 0) {
    return 'due now';
  }
  if (seconds < 60) {
    return `in ${Math.round(seconds)} s`;
  }
  if (seconds < 3600) {
    return `in ${Math.round(seconds / 60)} min`;
  }
  if (seconds < 86400) {
    return `in ${Math.round(seconds / 3600)} h`;
  }
  return dateTime(epoch);
}

/**
 * A date and time the same way everywhere, "2026-12-07 06:30", in the browser's time zone or
 * in ``timeZone`` (an IANA name such as "Asia/Tokyo") when given.
 */
export function dateTime(epoch: number | null | undefined, timeZone?: string): string {
  if (epoch === null || epoch === undefined) {
    return '—';
  }
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23'
    }).formatToParts(new Date(epoch * 1000));
  } catch {
    // An unknown time zone name: the browser's own.
    return dateTime(epoch);
  }
  const part = (type: string) => parts.find(p => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}`;
}

/**
 * A value a gate compared, for people: numbers (and numeric strings such as tags) to 4
 * significant digits, anything else as it is.
 */
export function gateValue(value: unknown): string {
  if (typeof value === 'number') {
    return metric(value);
  }
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) {
    return metric(Number(value));
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A duration in seconds as "850 ms", "12.3 s", "4 min 2 s". */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) {
    return '—';
  }
  if (seconds < 1) {
    return `${Math.round(seconds * 1000)} ms`;
  }
  if (seconds < 60) {
    return `${seconds.toFixed(1)} s`;
  }
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

/** The time between ``start`` and ``end``, or "" while either is unknown. */
export function span(start: number | null, end: number | null): string {
  return start !== null && end !== null ? duration(end - start) : '';
}

/** A metric value as a JavaScript number: "NaN", "Infinity" and "-Infinity" as themselves. */
export function realNumber(value: Real): number {
  switch (value) {
    case 'NaN':
      return NaN;
    case 'Infinity':
      return Infinity;
    case '-Infinity':
      return -Infinity;
    default:
      return value;
  }
}

/**
 * A metric value with 4 significant digits (exponent form when tiny or huge); NaN as "NaN",
 * the infinities as "∞" and "-∞", a value that is not there (null) as "—".
 */
export function metric(value: Real | null | undefined): string {
  if (value === null || value === undefined) {
    return '—';
  }
  const n = realNumber(value);
  if (Number.isNaN(n)) {
    return 'NaN';
  }
  if (!Number.isFinite(n)) {
    return n > 0 ? '∞' : '-∞';
  }
  if (Number.isInteger(n)) {
    return String(n);
  }
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) {
    return n.toExponential(3);
  }
  return String(Number(n.toPrecision(4)));
}

/** Bytes as "512 B", "1.2 KB", "3.4 MB". */
export function bytes(size: number | null | undefined): string {
  if (size === null || size === undefined) {
    return '—';
  }
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** "1 run", "3 runs": a count and its noun. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
