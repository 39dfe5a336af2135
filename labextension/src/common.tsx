// Pieces every tab uses: status badges, inline errors, polling.
import * as React from 'react';

import { ApiError } from './api';

/** A coloured badge for a run, step, schedule or stage state. */
export function Badge(props: { value: string; kind?: string; title?: string }): JSX.Element {
  const kind = (props.kind ?? props.value).toLowerCase().replace(/[^a-z0-9_-]/g, '');
  return (
    <span className={`jp-mlops-badge jp-mlops-badge-${kind}`} title={props.title}>
      {props.value}
    </span>
  );
}

/** An error from the API, on one line where it happened. */
export function ErrorLine(props: { error: unknown }): JSX.Element | null {
  if (props.error === null || props.error === undefined) {
    return null;
  }
  const text =
    props.error instanceof ApiError || props.error instanceof Error
      ? props.error.message
      : String(props.error);
  return (
    <div className="jp-mlops-error" role="alert">
      {text}
    </div>
  );
}

/** A button that opens a notebook of the server's root in JupyterLab. */
export function OpenLink(props: {
  path: string | null;
  open: (path: string) => void;
  label?: string;
}): JSX.Element | null {
  const path = props.path;
  if (!path) {
    return null;
  }
  return (
    <button
      className="jp-mlops-link"
      title={`Open ${path}`}
      onClick={e => {
        e.stopPropagation();
        props.open(path);
      }}
    >
      {props.label ?? path}
    </button>
  );
}

/**
 * Call ``load`` now and again after ``delay(result)`` ms while mounted and ``enabled``;
 * changing ``deps`` restarts at once. ``delay`` returning null stops polling.
 */
export function usePoll<T>(
  load: () => Promise<T>,
  delay: (result: T | null) => number | null,
  deps: React.DependencyList,
  enabled = true
): void {
  React.useEffect(() => {
    if (!enabled) {
      return;
    }
    let stopped = false;
    let timer: number | undefined;
    const tick = async () => {
      let result: T | null = null;
      try {
        result = await load();
      } catch {
        result = null;
      }
      if (stopped) {
        return;
      }
      const next = delay(result);
      if (next !== null) {
        timer = window.setTimeout(tick, next);
      }
    };
    void tick();
    return () => {
      stopped = true;
      if (timer !== undefined) {
        window.clearTimeout(timer);
      }
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, enabled]);
}

/** Whether any of ``statuses`` is still moving (so the view should refresh soon). */
export function anyActive(statuses: Iterable<string>): boolean {
  for (const s of statuses) {
    if (s === 'running' || s === 'pending' || s === 'queued') {
      return true;
    }
  }
  return false;
}
