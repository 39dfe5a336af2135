// The Models tab: versions with stage badges and what serves them, promotion with a dry run
// first, the audit trail.
import * as React from 'react';

import { Badge, outcomeTone } from './badges';
import {
  getPromotionHistory,
  getStages,
  listModels,
  listModelVersions,
  promoteModel
} from './client';
import { Card, EmptyState, ErrorLine, useApi } from './common';
import { ago, gateValue, metric, plural } from './format';
import { ModelVersionDetail } from './modelVersionDetail';
import { ServingLine, useServing } from './serving';
import { ApiError } from './transport';
import type {
  GateCheck,
  ModelSummary,
  PromoteRequest,
  PromotionResult,
  Real,
  StageList
} from './wire';

/** A model version to show (asked from elsewhere, e.g. a run page): kept until the tab shows it. */
let pendingFocus: { name: string; version: number } | null = null;
const FOCUS_EVENT = 'jp-mlops-focus-model';

/** Open model ``name`` in the Models tab with version ``version``'s details shown. */
export function focusModel(name: string, version: number): void {
  pendingFocus = { name, version };
  window.dispatchEvent(new Event(FOCUS_EVENT));
}

export function ModelsTab(props: {
  shown: boolean;
  openRun: (runId: string) => void;
}): React.JSX.Element {
  const models = useApi(signal => listModels({ signal }), [], { enabled: props.shown });
  const [selected, setSelected] = React.useState<string | null>(null);
  const [focused, setFocused] = React.useState<number | null>(null);
  React.useEffect(() => {
    const take = () => {
      if (pendingFocus) {
        setSelected(pendingFocus.name);
        setFocused(pendingFocus.version);
        pendingFocus = null;
      }
    };
    take();
    window.addEventListener(FOCUS_EVENT, take);
    return () => window.removeEventListener(FOCUS_EVENT, take);
  }, []);

  return (
    <div className="jp-mlops-tab jp-mlops-models">
      <div className="jp-mlops-toolbar">
        <button className="jp-mlops-button" onClick={models.reload}>
          Refresh
        </button>
      </div>
      <ErrorLine error={models.error} />
      {models.data?.items.length === 0 ? (
        <EmptyState>
          No registered models yet: in a notebook, <code>mlops.models.register(run, "name")</code>{' '}
          registers a run&apos;s logged model.
        </EmptyState>
      ) : null}
      <div className="jp-mlops-scroll">
        {models.data?.items.map(m => (
          <Card
            key={m.name}
            data={{ 'data-model': m.name }}
            head={<ModelHead model={m} />}
            open={selected === m.name}
            toggle={() => {
              setSelected(selected === m.name ? null : m.name);
            }}
            details={
              <ModelDetail
                name={m.name}
                changed={models.reload}
                openRun={props.openRun}
                focused={selected === m.name ? focused : null}
              />
            }
          />
        ))}
      </div>
    </div>
  );
}

function ModelHead(props: { model: ModelSummary }): React.JSX.Element {
  const m = props.model;
  return (
    <>
      <span className="jp-mlops-run-name">{m.name}</span>
      <span className="jp-mlops-muted">{plural(m.versions, 'version')}</span>
      {Object.entries(m.stages).map(([stage, v]) => (
        <Badge key={stage} text={`${stage}: v${v}`} tone="neutral" kind={`stage-${stage}`} />
      ))}
    </>
  );
}

function ModelDetail(props: {
  name: string;
  changed: () => void;
  openRun: (runId: string) => void;
  focused: number | null;
}): React.JSX.Element {
  const { name, changed } = props;
  const [shown, setShown] = React.useState<number | null>(props.focused);
  React.useEffect(() => {
    if (props.focused !== null) {
      setShown(props.focused);
    }
  }, [props.focused]);
  const detail = useApi(
    async signal => {
      const [versions, stages, history] = await Promise.all([
        listModelVersions(name, { signal }),
        getStages(name, { signal }),
        getPromotionHistory(name, { signal })
      ]);
      return { versions: versions.items, stages, history };
    },
    [name]
  );
  const serving = useServing(name);
  const [promoting, setPromoting] = React.useState<number | null>(null);
  const reload = detail.reload;
  const done = React.useCallback(() => {
    reload();
    changed();
  }, [reload, changed]);
  const versions = detail.data?.versions ?? [];
  const stages = detail.data?.stages ?? null;
  const history = detail.data?.history ?? null;

  return (
    <>
      <ErrorLine error={detail.error} />
      {versions.map(v => (
        <div key={v.version} className="jp-mlops-version" data-version={v.version}>
          {/* Wraps: with a stage badge the line is wider than the default sidebar. */}
          <div className="jp-mlops-row-line jp-mlops-wrap">
            <span className="jp-mlops-run-name">v{v.version}</span>
            {v.stages.map(s => (
              <Badge key={s} text={s} tone="neutral" kind={`stage-${s}`} />
            ))}
            <span className="jp-mlops-muted" title={v.class_name}>
              {v.class_name ? v.class_name.split('.').pop() : v.flavor}
            </span>
            <span className="jp-mlops-muted jp-mlops-right">{ago(v.created_at)}</span>
          </div>
          <ServingLine version={v.version} serving={serving.data} />
          <div className="jp-mlops-row-line jp-mlops-wrap jp-mlops-muted">
            {/* Named as a check names them: gates read metrics.X and tags.X. */}
            {gateInputs(v.metrics, v.tags).map(([k, val]) => (
              <span key={k} className="jp-mlops-metric" data-gate-key={k}>
                {k} <b className="jp-mlops-metric-value">{val}</b>
              </span>
            ))}
            <span className="jp-mlops-right">
              <button
                className="jp-mlops-button"
                aria-expanded={shown === v.version}
                onClick={() => {
                  setShown(shown === v.version ? null : v.version);
                }}
              >
                Details
              </button>{' '}
              <button
                className="jp-mlops-button"
                onClick={() => {
                  setPromoting(promoting === v.version ? null : v.version);
                }}
              >
                Promote…
              </button>
            </span>
          </div>
          {shown === v.version ? <ModelVersionDetail version={v} openRun={props.openRun} /> : null}
          {promoting === v.version && stages ? (
            <PromoteForm name={props.name} version={v.version} stages={stages} done={done} />
          ) : null}
        </div>
      ))}
      <h4>History</h4>
      {history?.items.length === 0 ? (
        <div className="jp-mlops-muted">No promotions yet.</div>
      ) : null}
      <ul className="jp-mlops-history">
        {history?.items
          .slice()
          .reverse()
          .map(e => (
            <li key={e.id} data-outcome={e.outcome}>
              <Badge text={e.outcome} tone={outcomeTone(e.outcome)} /> {e.stage}:{' '}
              {e.from_version === null ? '—' : `v${e.from_version}`} → v{e.to_version}{' '}
              <span className="jp-mlops-muted">
                {e.action} · {e.user ?? ''} · {ago(e.created_at)}
                {e.reason ? ` · “${e.reason}”` : ''}
              </span>
              {e.checks
                .filter(c => !c.passed)
                .map((c, i) => (
                  <div key={i} className="jp-mlops-muted">
                    ✗ {c.expression}: {c.message || c.error}
                  </div>
                ))}
            </li>
          ))}
      </ul>
    </>
  );
}

/** A version's values as promotion checks read them: metrics, then numeric tags. */
function gateInputs(
  metrics: Record<string, Real>,
  tags: Record<string, string>
): [string, string][] {
  const shown: [string, string][] = Object.entries(metrics)
    .slice(0, 4)
    .map(([k, v]) => [`metrics.${k}`, metric(v)]);
  for (const [k, v] of Object.entries(tags)) {
    if (!k.startsWith('mlops.') && v.trim() !== '' && Number.isFinite(Number(v))) {
      shown.push([`tags.${k}`, gateValue(v)]);
    }
  }
  return shown;
}

function PromoteForm(props: {
  name: string;
  version: number;
  stages: StageList;
  done: () => void;
}): React.JSX.Element {
  const allowed = props.stages.allowed;
  const [stage, setStage] = React.useState(allowed.includes('staging') ? 'staging' : allowed[0]);
  const [checks, setChecks] = React.useState('');
  const [reason, setReason] = React.useState('');
  const [result, setResult] = React.useState<PromotionResult | null>(null);
  const [refused, setRefused] = React.useState<GateCheck[] | null>(null);
  const [error, setError] = React.useState<unknown>(null);
  const [busy, setBusy] = React.useState(false);

  const request = (dryRun: boolean): PromoteRequest => ({
    version: props.version,
    stage,
    checks: checks
      .split('\n')
      .map(s => s.trim())
      .filter(Boolean),
    reason: reason.trim() || null,
    dry_run: dryRun
  });
  const run = async (dryRun: boolean) => {
    setBusy(true);
    setError(null);
    setRefused(null);
    try {
      const answer = await promoteModel(props.name, request(dryRun));
      setResult(answer);
      if (!dryRun) {
        props.done();
      }
    } catch (e) {
      setResult(null);
      if (e instanceof ApiError && e.checks) {
        setRefused(e.checks);
      }
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const shown = result?.checks ?? refused ?? [];
  const willPromote = result?.outcome === 'would_promote';
  return (
    <div className="jp-mlops-promote">
      <label>
        Stage{' '}
        <select
          aria-label="Stage"
          value={stage}
          onChange={e => {
            setStage(e.target.value);
            setResult(null);
          }}
        >
          {allowed.map(s => (
            <option key={s} value={s}>
              {s}
              {s in props.stages.held ? ` (now v${props.stages.held[s]})` : ''}
            </option>
          ))}
        </select>
      </label>
      <textarea
        className="jp-mlops-input"
        aria-label="Checks"
        rows={2}
        placeholder={'checks, one per line, e.g. metrics.accuracy >= 0.9'}
        value={checks}
        onChange={e => {
          setChecks(e.target.value);
          setResult(null);
        }}
      />
      <input
        className="jp-mlops-input"
        aria-label="Reason"
        placeholder="reason (optional)"
        value={reason}
        onChange={e => setReason(e.target.value)}
      />
      <div className="jp-mlops-row-line">
        <button className="jp-mlops-button" disabled={busy} onClick={() => void run(true)}>
          Check
        </button>
        <button
          className="jp-mlops-button jp-mod-accept"
          disabled={busy || !willPromote}
          title={willPromote ? '' : 'Run the checks first; every check must pass'}
          onClick={() => void run(false)}
        >
          Promote to {stage}
        </button>
      </div>
      {shown.length ? (
        <ul className="jp-mlops-checks">
          {shown.map((c, i) => (
            <li key={i} className={`jp-mlops-check-${c.status}`} data-check-status={c.status}>
              {c.passed ? '✓' : '✗'} <code>{c.expression}</code>
              {c.error ? <div>{c.error}</div> : null}
              {!c.error ? <CheckValues check={c} /> : null}
            </li>
          ))}
        </ul>
      ) : null}
      {result ? (
        <div className={`jp-mlops-outcome jp-mlops-outcome-${result.outcome}`} role="status">
          {outcomeText(result)}
        </div>
      ) : null}
      <ErrorLine error={error} />
    </div>
  );
}

/** What a check compared, values rounded for people (the API's message when it has none). */
function CheckValues(props: { check: GateCheck }): React.JSX.Element | null {
  const entries = Object.entries(props.check.values);
  if (entries.length === 0) {
    return props.check.message ? <div className="jp-mlops-muted">{props.check.message}</div> : null;
  }
  return (
    <div className="jp-mlops-muted">
      {entries.map(([k, v]) => `${k} = ${gateValue(v)}`).join(', ')}
    </div>
  );
}

function outcomeText(r: PromotionResult): string {
  if (r.checks.length === 0 && (r.outcome === 'would_promote' || r.outcome === 'promoted')) {
    const moved = r.outcome === 'promoted' ? `Promoted: ${r.stage} is now v${r.version}` : '';
    return moved
      ? `${moved}; no checks given.`
      : `No checks given: nothing gates v${r.version} → ${r.stage}. Add a check, or confirm to promote anyway.`;
  }
  switch (r.outcome) {
    case 'would_promote':
      return `Every check passes: v${r.version} can move to ${r.stage}. Confirm to promote.`;
    case 'would_refuse':
      return `A check fails: ${r.stage} stays ${r.from_version === null ? 'empty' : `at v${r.from_version}`}. Nothing changed.`;
    case 'promoted':
      return `Promoted: ${r.stage} is now v${r.version}.`;
    case 'refused':
      return `Refused by its checks: nothing changed.`;
    case 'conflict':
      return `${r.stage} moved meanwhile: nothing changed; check again.`;
  }
}
