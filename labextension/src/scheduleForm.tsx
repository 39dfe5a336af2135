// A schedule's form, to create one (from a notebook's toolbar) or edit one (Schedules tab):
// cron with the next runs previewed by the server in the chosen timezone, parameters,
// environment. The server checks everything on save; its one-line refusal shows here.
import * as React from 'react';

import { createSchedule, previewCron, updateSchedule } from './client';
import { ErrorLine } from './common';
import type { CronPreview, ScheduleInfo } from './wire';

const PREVIEW_AFTER_MS = 300;

/** The browser's zone, as a default only: the preview is always computed by the server. */
export function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

function zones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  return intl.supportedValuesOf?.('timeZone') ?? [];
}

/** ``KEY=VALUE`` lines as the request's params (values as text: the server types them). */
export function parseParams(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  text
    .split('\n')
    .map(line => line.trim())
    .filter(line => line && !line.startsWith('#'))
    .forEach(line => {
      const at = line.indexOf('=');
      const key = (at < 0 ? line : line.slice(0, at)).trim();
      params[key] = at < 0 ? '' : line.slice(at + 1).trim();
    });
  return params;
}

function paramsText(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('\n');
}

export interface IScheduleTarget {
  kind: 'notebook' | 'pipeline';
  path: string;
  /** ``KEY=VALUE`` lines to start from (a notebook's parameters cell). */
  params: string;
}

export function ScheduleForm(props: {
  /** Edit this schedule; else create one of ``target``. */
  schedule?: ScheduleInfo;
  target?: IScheduleTarget;
  done: (saved: ScheduleInfo) => void;
  cancel: () => void;
}): React.JSX.Element {
  const s = props.schedule;
  const stem = (props.target?.path.split('/').pop() ?? 'job').replace(/\.[^.]*$/, '');
  const [name, setName] = React.useState(s?.name ?? stem.replace(/[^A-Za-z0-9._-]/g, '-'));
  const [cron, setCron] = React.useState(s?.cron ?? '0 6 * * *');
  const [timezone, setTimezone] = React.useState(s?.timezone ?? browserZone());
  const [env, setEnv] = React.useState(s?.env ?? '');
  const [params, setParams] = React.useState(
    s ? paramsText(s.params) : (props.target?.params ?? '')
  );
  const [preview, setPreview] = React.useState<{ data: CronPreview | null; error: unknown }>({
    data: null,
    error: null
  });
  const [saveError, setSaveError] = React.useState<unknown>(null);
  const [saving, setSaving] = React.useState(false);

  React.useEffect(() => {
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      previewCron({ cron, timezone, count: 5 }, { signal: controller.signal }).then(
        data => setPreview({ data, error: null }),
        (error: unknown) => {
          if (!controller.signal.aborted) {
            setPreview({ data: null, error });
          }
        }
      );
    }, PREVIEW_AFTER_MS);
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [cron, timezone]);

  const save = async () => {
    setSaving(true);
    try {
      const values = { cron, timezone, params: parseParams(params) };
      const saved = s
        ? await updateSchedule(s.name, { ...values, env: env || null, clear_env: !env })
        : await createSchedule({
            ...values,
            name,
            env: env || null,
            notebook: props.target?.kind === 'notebook' ? props.target.path : null,
            pipeline: props.target?.kind === 'pipeline' ? props.target.path : null
          });
      setSaveError(null);
      props.done(saved);
    } catch (error) {
      setSaveError(error);
    } finally {
      setSaving(false);
    }
  };

  return (
    <form
      className="jp-mlops-schedule-form"
      aria-label={s ? `Edit schedule ${s.name}` : 'Create schedule'}
      onSubmit={e => {
        e.preventDefault();
        void save();
      }}
    >
      {s ? null : (
        <label className="jp-mlops-field">
          <span>Name</span>
          <input
            className="jp-mlops-input"
            aria-label="Schedule name"
            value={name}
            onChange={e => setName(e.target.value)}
          />
        </label>
      )}
      <div className="jp-mlops-muted jp-mlops-reason">
        {s ? `${s.target_kind} ${s.target}` : `${props.target?.kind} ${props.target?.path}`}
      </div>
      <label className="jp-mlops-field">
        <span>Cron</span>
        <input
          className="jp-mlops-input jp-mlops-mono"
          aria-label="Cron expression"
          title="minute hour day-of-month month day-of-week"
          value={cron}
          onChange={e => setCron(e.target.value)}
        />
      </label>
      <label className="jp-mlops-field">
        <span>Timezone</span>
        <input
          className="jp-mlops-input"
          aria-label="Timezone"
          list="jp-mlops-zones"
          value={timezone}
          onChange={e => setTimezone(e.target.value)}
        />
        <datalist id="jp-mlops-zones">
          {zones().map(z => (
            <option key={z} value={z} />
          ))}
        </datalist>
      </label>
      <div className="jp-mlops-cron-preview" data-cron-preview aria-live="polite">
        {preview.error ? (
          <ErrorLine error={preview.error} />
        ) : preview.data ? (
          <>
            <div className="jp-mlops-muted">Next runs ({preview.data.timezone}):</div>
            <ol>
              {preview.data.ticks.map(t => (
                <li key={t.at} data-tick={t.at}>
                  {t.local}
                </li>
              ))}
            </ol>
          </>
        ) : null}
      </div>
      <label className="jp-mlops-field">
        <span>Environment</span>
        <input
          className="jp-mlops-input"
          aria-label="Environment"
          placeholder="none"
          value={env}
          onChange={e => setEnv(e.target.value)}
        />
      </label>
      <label className="jp-mlops-field jp-mlops-field-block">
        <span>Parameters (KEY=VALUE, one a line)</span>
        <textarea
          className="jp-mlops-input jp-mlops-mono"
          aria-label="Parameters"
          rows={3}
          value={params}
          onChange={e => setParams(e.target.value)}
        />
      </label>
      <ErrorLine error={saveError} />
      <div className="jp-mlops-row-line">
        <button type="submit" className="jp-mlops-button jp-mod-accept" disabled={saving}>
          {s ? 'Save' : 'Create'}
        </button>
        <button type="button" className="jp-mlops-button" onClick={props.cancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
