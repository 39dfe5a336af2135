// "Run a pipeline": pick a spec found in the project, its environment, parameter overrides
// (typed by the notebooks' defaults), force, only/from a step; the server checks every
// change (what would run, or the one-line reason it cannot) before Start is pressed.
import * as React from 'react';

import { getPipelineStatus, listPipelineSpecs, startPipelineRun } from './client';
import { ErrorLine, useApi } from './common';
import type { PipelineRunDetail, PipelineSpecInfo, PipelineStatus } from './wire';

const CHECK_AFTER_MS = 350;

/** A default as the text the server reads back as the same value (its -p spelling). */
function asText(value: unknown, type = ''): string {
  if (typeof value === 'string') {
    return value;
  }
  if (type === 'float' && typeof value === 'number' && Number.isInteger(value)) {
    return value.toFixed(1); // JSON sent 1.0 as 1
  }
  if (typeof value === 'boolean') {
    return value ? 'True' : 'False';
  }
  if (value === null || value === undefined) {
    return 'None';
  }
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

interface IChoice {
  env: string;
  values: Record<string, string>;
  force: boolean;
  only: string;
  from: string;
}

const NONE: IChoice = { env: '', values: {}, force: false, only: '', from: '' };

function request(spec: PipelineSpecInfo, c: IChoice) {
  const defaults: Record<string, string> = {};
  spec.steps.forEach(s => {
    Object.entries(s.params).forEach(([k, v]) => {
      defaults[`${s.name}.${k}`] = asText(v, s.param_types[k]);
    });
  });
  const params = Object.entries(c.values)
    .filter(([key, text]) => defaults[key] !== text)
    .map(([key, text]) => `${key}=${text}`);
  return {
    spec: spec.path,
    env: c.env || null,
    params,
    force: c.force,
    only: c.only || null,
    from_step: c.from || null
  };
}

export function RunPipelineForm(props: {
  started: (detail: PipelineRunDetail) => void;
  close: () => void;
}): React.JSX.Element {
  const specs = useApi(signal => listPipelineSpecs({}, { signal }), []);
  const [path, setPath] = React.useState('');
  const [choice, setChoice] = React.useState<IChoice>(NONE);
  const [check, setCheck] = React.useState<{ plan: PipelineStatus | null; error: unknown }>({
    plan: null,
    error: null
  });
  const [starting, setStarting] = React.useState(false);
  const usable = (specs.data?.items ?? []).filter(s => s.error === null);
  const spec: PipelineSpecInfo | null =
    usable.find(s => s.path === path) ?? (usable.length ? usable[0] : null);

  // Every change is checked by the server (as `jupyter-mlops status` would), after a pause.
  React.useEffect(() => {
    if (spec === null) {
      return;
    }
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      getPipelineStatus(request(spec, choice), { signal: controller.signal }).then(
        plan => setCheck({ plan, error: null }),
        (error: unknown) => {
          if (!controller.signal.aborted) {
            setCheck({ plan: null, error });
          }
        }
      );
    }, CHECK_AFTER_MS);
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [spec, choice]);

  const start = async () => {
    if (spec === null) {
      return;
    }
    setStarting(true);
    try {
      props.started(await startPipelineRun(request(spec, choice)));
    } catch (error) {
      setCheck({ plan: null, error });
    } finally {
      setStarting(false);
    }
  };
  const set = (patch: Partial<IChoice>) => setChoice(c => ({ ...c, ...patch }));
  const broken = (specs.data?.items ?? []).filter(s => s.error !== null);

  return (
    <form
      className="jp-mlops-run-form"
      aria-label="Run a pipeline"
      onSubmit={e => {
        e.preventDefault();
        void start();
      }}
    >
      <ErrorLine error={specs.error} />
      {specs.data && usable.length === 0 ? (
        <div className="jp-mlops-muted">
          No pipeline found under the server&apos;s root: write a <code>pipeline.yaml</code> with
          notebook <code>steps:</code>.
        </div>
      ) : null}
      {spec ? (
        <>
          <label className="jp-mlops-field">
            <span>Pipeline</span>
            <select
              className="jp-mlops-input"
              aria-label="Pipeline spec"
              value={spec.path}
              onChange={e => {
                setPath(e.target.value);
                setChoice(NONE);
              }}
            >
              {usable.map(s => (
                <option key={s.path} value={s.path}>
                  {s.name} — {s.path}
                </option>
              ))}
            </select>
          </label>
          <label className="jp-mlops-field">
            <span>Environment</span>
            <select
              className="jp-mlops-input"
              aria-label="Environment"
              value={choice.env}
              onChange={e => set({ env: e.target.value })}
            >
              <option value="">(none)</option>
              {spec.environments.map(env => (
                <option key={env} value={env}>
                  {env}
                </option>
              ))}
            </select>
          </label>
          {spec.steps.some(s => Object.keys(s.params).length) ? (
            <fieldset className="jp-mlops-params">
              <legend>Parameters</legend>
              {spec.steps.flatMap(s =>
                Object.entries(s.params).map(([key, value]) => {
                  const name = `${s.name}.${key}`;
                  const type = s.param_types[key] ?? 'any';
                  const text = asText(value, type);
                  return (
                    <label key={name} className="jp-mlops-field">
                      <span title={`${name} (${type})`}>
                        {name} <span className="jp-mlops-muted">{type}</span>
                      </span>
                      <input
                        className="jp-mlops-input"
                        aria-label={`Parameter ${name}`}
                        data-param={name}
                        title={`${type}; default ${text}`}
                        value={choice.values[name] ?? text}
                        onChange={e =>
                          set({ values: { ...choice.values, [name]: e.target.value } })
                        }
                      />
                    </label>
                  );
                })
              )}
            </fieldset>
          ) : null}
          <div className="jp-mlops-row-line jp-mlops-wrap">
            <label className="jp-mlops-nowrap">
              <input
                type="checkbox"
                checked={choice.force}
                onChange={e => set({ force: e.target.checked })}
              />{' '}
              Force
            </label>
            <StepPick label="Only" spec={spec} value={choice.only} pick={only => set({ only })} />
            <StepPick label="From" spec={spec} value={choice.from} pick={from => set({ from })} />
          </div>
          {check.error ? (
            <ErrorLine error={check.error} />
          ) : check.plan ? (
            <div className="jp-mlops-muted" data-plan-summary>
              {check.plan.summary}
            </div>
          ) : null}
          <div className="jp-mlops-row-line">
            <button
              type="submit"
              className="jp-mlops-button jp-mod-accept"
              disabled={starting || check.error !== null}
            >
              {starting ? 'Starting…' : 'Start'}
            </button>
            <button type="button" className="jp-mlops-button" onClick={props.close}>
              Close
            </button>
          </div>
        </>
      ) : null}
      {broken.map(s => (
        <div key={s.path} className="jp-mlops-muted jp-mlops-reason" title={s.error ?? ''}>
          {s.path} does not load: {s.error}
        </div>
      ))}
    </form>
  );
}

function StepPick(props: {
  label: string;
  spec: PipelineSpecInfo;
  value: string;
  pick: (step: string) => void;
}): React.JSX.Element {
  return (
    <label className="jp-mlops-nowrap">
      {props.label}{' '}
      <select
        className="jp-mlops-input jp-mlops-step-pick"
        aria-label={`${props.label} step`}
        value={props.value}
        onChange={e => props.pick(e.target.value)}
      >
        <option value="">all</option>
        {props.spec.steps.map(s => (
          <option key={s.name} value={s.name}>
            {s.name}
          </option>
        ))}
      </select>
    </label>
  );
}
