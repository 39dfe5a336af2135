// Small display helpers shared by the tabs.

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
  return new Date(epoch * 1000).toLocaleString();
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
  return new Date(epoch * 1000).toLocaleString();
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

/** A metric value with 4 significant digits; NaN (null) as "NaN". */
export function metric(value: number | null | undefined): string {
  if (value === null || value === undefined) {
    return 'NaN';
  }
  if (Number.isInteger(value)) {
    return String(value);
  }
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) {
    return value.toExponential(3);
  }
  return String(Number(value.toPrecision(4)));
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

/** Seconds until the next poll: fast while something runs, slow otherwise. */
export function pollDelay(active: boolean): number {
  return active ? 2000 : 10000;
}
