// Pieces every tab uses: loading through the API, cards, the filter box, errors, empty states.
import * as React from 'react';

/** An error from the API, on one line where it happened. */
export function ErrorLine(props: { error: unknown }): React.JSX.Element | null {
  if (props.error === null || props.error === undefined) {
    return null;
  }
  const error = props.error;
  const text =
    error instanceof Error
      ? error.message
      : typeof error === 'string'
        ? error
        : JSON.stringify(error);
  return (
    <div className="jp-mlops-error" role="alert">
      {text}
    </div>
  );
}

/** What a list shows while it has nothing: what to do to get something. */
export function EmptyState(props: { children: React.ReactNode }): React.JSX.Element {
  return <div className="jp-mlops-muted jp-mlops-empty">{props.children}</div>;
}

/** A button that opens a notebook of the server's root in JupyterLab. */
export function OpenLink(props: {
  path: string | null;
  open: (path: string) => void;
  label?: string;
}): React.JSX.Element | null {
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

/** ``data-*`` attributes that name what a card or row shows (for styles and tests). */
export type DataAttributes = Record<`data-${string}`, string | number>;

/**
 * A card of a list: its head (a button that opens or closes the card when ``toggle`` is
 * given), then ``children``, then ``details`` in the card's body while ``open``.
 */
export function Card(props: {
  head: React.ReactNode;
  data?: DataAttributes;
  toggle?: () => void;
  open?: boolean;
  details?: React.ReactNode;
  children?: React.ReactNode;
}): React.JSX.Element {
  const toggle = props.toggle;
  const head = toggle ? (
    <div
      className="jp-mlops-card-head"
      role="button"
      tabIndex={0}
      aria-expanded={props.open ?? false}
      onClick={toggle}
      onKeyDown={e => {
        if (e.key === 'Enter' && e.target === e.currentTarget) {
          toggle();
        }
      }}
    >
      {props.head}
    </div>
  ) : (
    <div className="jp-mlops-card-head">{props.head}</div>
  );
  return (
    <div className="jp-mlops-card" {...props.data}>
      {head}
      {props.children}
      {props.open && props.details !== undefined ? (
        <div className="jp-mlops-card-body">{props.details}</div>
      ) : null}
    </div>
  );
}

/**
 * A filter box: the expression applies on Enter or "Filter", "×" clears it; ``error`` (a bad
 * expression, or any error of the list it filters) shows on one line under it.
 */
export function FilterForm(props: {
  label: string;
  placeholder: string;
  value: string;
  apply: (value: string) => void;
  error: unknown;
}): React.JSX.Element {
  const { apply, value } = props;
  const [draft, setDraft] = React.useState(value);
  return (
    <>
      <form
        className="jp-mlops-filter"
        onSubmit={e => {
          e.preventDefault();
          apply(draft.trim());
        }}
      >
        <input
          className="jp-mlops-input"
          aria-label={props.label}
          placeholder={props.placeholder}
          value={draft}
          onChange={e => {
            setDraft(e.target.value);
          }}
        />
        <button type="submit" className="jp-mlops-button">
          Filter
        </button>
        {value ? (
          <button
            type="button"
            className="jp-mlops-button"
            title="Clear the filter"
            onClick={() => {
              setDraft('');
              apply('');
            }}
          >
            ×
          </button>
        ) : null}
      </form>
      <ErrorLine error={props.error} />
    </>
  );
}

/** What :func:`useApi` gives: the latest answer, the latest error, and a way to ask again. */
export interface IApiState<T> {
  /** The latest answer (kept while a new request is under way or failed). */
  data: T | null;
  /** The error of the latest request, null once one succeeds. */
  error: unknown;
  /** Whether a request is under way. */
  loading: boolean;
  /** Ask again now (and restart polling). */
  reload: () => void;
}

export interface IUseApiOptions<T> {
  /** Load only while true (a hidden tab asks nothing); default true. */
  enabled?: boolean;
  /** Milliseconds until the next request after ``answer`` (null after an error), or null to stop. */
  poll?: (answer: T | null) => number | null;
}

function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

/**
 * Load ``load(signal)`` now, again when ``deps`` change or ``reload`` is called, and after
 * ``poll`` ms while mounted. Leaving (or a new load) aborts the request under way, so a slow
 * old answer never replaces a newer one. Lint checks ``deps`` as for ``useEffect``.
 */
export function useApi<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: React.DependencyList,
  options: IUseApiOptions<T> = {}
): IApiState<T> {
  const enabled = options.enabled ?? true;
  const [state, setState] = React.useState<{ data: T | null; error: unknown; loading: boolean }>({
    data: null,
    error: null,
    loading: enabled
  });
  const [kick, setKick] = React.useState(0);
  // The latest callbacks, read when a request starts: only ``deps`` restart the loading.
  const latest = React.useRef({ load, poll: options.poll });
  latest.current = { load, poll: options.poll };

  React.useEffect(() => {
    if (!enabled) {
      return;
    }
    const controller = new AbortController();
    let timer: number | undefined;
    const tick = async (): Promise<void> => {
      setState(s => ({ ...s, loading: true }));
      let answer: T | null = null;
      try {
        answer = await latest.current.load(controller.signal);
        if (controller.signal.aborted) {
          return;
        }
        setState({ data: answer, error: null, loading: false });
      } catch (error) {
        if (controller.signal.aborted || isAbort(error)) {
          return;
        }
        setState(s => ({ data: s.data, error, loading: false }));
      }
      const next = latest.current.poll?.(answer) ?? null;
      if (next !== null) {
        timer = window.setTimeout(() => void tick(), next);
      }
    };
    void tick();
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
    // The caller's deps (checked where useApi is called), whether to load, and reload().
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, enabled, kick]);

  const reload = React.useCallback(() => {
    setKick(k => k + 1);
  }, []);
  return { ...state, reload };
}

/** A labelled drop-down of keys (metric or param names). */
export function KeyPicker(props: {
  label: string;
  ariaLabel: string;
  keys: readonly string[];
  value: string;
  onChange: (key: string) => void;
}): React.JSX.Element {
  return (
    <label>
      {props.label}{' '}
      <select
        className="jp-mlops-select"
        aria-label={props.ariaLabel}
        value={props.value}
        onChange={e => props.onChange(e.target.value)}
      >
        {props.keys.map(k => (
          <option key={k} value={k}>
            {k}
          </option>
        ))}
      </select>
    </label>
  );
}
