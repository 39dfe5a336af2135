// Selected runs compared in the main area (the runs table's "Compare"): their metric curves
// overlaid, parallel coordinates and a param-vs-metric scatter over every run the table shows,
// params and metrics side by side, and "Why did it move?" for two of them.
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { Badge, runTone } from './badges';
import { compareRuns, runSpace } from './client';
import { ErrorLine, useApi } from './common';
import { CURVE_POINTS, CurvesTab } from './compareCurves';
import { ParallelTab, ScatterTab } from './compareSpace';
import { WhyTab } from './compareWhy';
import { metric } from './format';
import type { ComparedRun, RunComparison } from './wire';

/** Which runs the plots across runs take: the runs table's experiment and filter. */
export interface ICompareScope {
  filter: string;
  experiment: string[];
  lifecycle?: 'active' | 'deleted' | 'all';
}

/** Runs the parallel coordinates and the scatter draw at most (the newest). */
export const SPACE_LIMIT = 2000;

/** Runs named one by one above the tabs; more are folded into one line. */
const RUN_CHIPS = 12;

const TABS = ['Curves', 'Parallel coordinates', 'Param vs metric', 'Table', 'Why did it move?'];

/** The comparison of ``runIds`` (two or more). */
export class RunsCompareWidget extends ReactWidget {
  constructor(
    readonly runIds: string[],
    readonly scope: ICompareScope | null = null
  ) {
    super();
    this.addClass('jp-mlops-detail');
  }

  protected render(): React.JSX.Element {
    return <CompareView runIds={this.runIds} scope={this.scope} />;
  }
}

function scopeText(scope: ICompareScope): string {
  const where = scope.experiment.length
    ? `in ${scope.experiment.length === 1 ? 'experiment' : 'experiments'} ${scope.experiment.join(', ')}`
    : 'in every experiment';
  return scope.filter ? `${where} matching “${scope.filter}”` : where;
}

function CompareView(props: { runIds: string[]; scope: ICompareScope | null }): React.JSX.Element {
  const [tab, setTab] = React.useState(TABS[0]);
  const [visited, setVisited] = React.useState(new Set([TABS[0]]));
  const runIds = props.runIds;
  // The table's values, which metrics have curves and the first curve (the tab shown first):
  // the chart opens on one request; other curves come when picked.
  const answer = useApi(
    signal => compareRuns({ run: runIds, curves: 1, max_points: CURVE_POINTS }, { signal }),
    [runIds]
  );
  const data = answer.data;
  const scope: ICompareScope = props.scope ?? {
    filter: '',
    experiment: [...new Set((data?.runs ?? []).map(r => r.experiment))]
  };
  const scopeKey = JSON.stringify(scope);
  const wantSpace =
    data !== null && (visited.has('Parallel coordinates') || visited.has('Param vs metric'));
  const space = useApi(
    signal =>
      runSpace(
        {
          filter: scope.filter,
          experiment: scope.experiment,
          lifecycle: scope.lifecycle ?? 'active',
          limit: SPACE_LIMIT
        },
        { signal }
      ),
    // The scope as one text: the same scope is the same request.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [scopeKey],
    { enabled: wantSpace }
  );
  if (data === null) {
    return (
      <div className="jp-mlops-page">
        <ErrorLine error={answer.error} />
        {answer.error ? null : <div className="jp-mlops-muted">Comparing runs…</div>}
      </div>
    );
  }
  const select = (name: string) => {
    setTab(name);
    setVisited(prev => new Set(prev).add(name));
  };
  const selected = new Set(data.runs.map(r => r.run_id));
  const panel = (name: string, body: () => React.ReactNode) =>
    visited.has(name) ? (
      <div
        role="tabpanel"
        aria-label={name}
        hidden={tab !== name}
        className="jp-mlops-compare-panel"
      >
        {body()}
      </div>
    ) : null;
  const spaceBody = (draw: (s: NonNullable<typeof space.data>) => React.ReactNode) => (
    <>
      <ErrorLine error={space.error} />
      {space.data ? (
        draw(space.data)
      ) : space.loading ? (
        <div className="jp-mlops-muted">Reading the runs {scopeText(scope)}…</div>
      ) : null}
    </>
  );
  return (
    <div className="jp-mlops-page jp-mlops-compare" data-runs={data.runs.length}>
      <h2>Comparing {data.runs.length} runs</h2>
      {data.runs.length <= RUN_CHIPS ? (
        <RunChips runs={data.runs} />
      ) : (
        // Many runs: their names folded away, so the charts stay on screen.
        <details className="jp-mlops-compare-many">
          <summary className="jp-mlops-muted">
            {data.runs
              .slice(0, 3)
              .map(r => r.label)
              .join(', ')}{' '}
            and {data.runs.length - 3} more runs
          </summary>
          <RunChips runs={data.runs} />
        </details>
      )}
      {data.missing.map(line => (
        <ErrorLine key={line} error={line} />
      ))}
      <div className="jp-mlops-tabs jp-mlops-compare-tabs" role="tablist" aria-label="Compare">
        {TABS.map(name => (
          <button
            key={name}
            role="tab"
            aria-selected={tab === name}
            className={`jp-mlops-tabbutton${tab === name ? ' jp-mod-current' : ''}`}
            onClick={() => select(name)}
          >
            {name}
          </button>
        ))}
      </div>
      {panel('Curves', () => (
        <CurvesTab
          runIds={runIds}
          runs={data.runs}
          metrics={data.metrics.map(m => m.key)}
          withHistory={data.with_history}
          first={data.curves[0] ?? null}
        />
      ))}
      {panel('Parallel coordinates', () =>
        spaceBody(s => <ParallelTab space={s} selected={selected} scope={scopeText(scope)} />)
      )}
      {panel('Param vs metric', () =>
        spaceBody(s => <ScatterTab space={s} selected={selected} scope={scopeText(scope)} />)
      )}
      <div role="tabpanel" aria-label="Table" hidden={tab !== 'Table'}>
        <CompareTable data={data} />
      </div>
      {panel('Why did it move?', () => (
        <WhyTab runs={data.runs} />
      ))}
    </div>
  );
}

function RunChips(props: { runs: ComparedRun[] }): React.JSX.Element {
  return (
    <div className="jp-mlops-compare-runs">
      {props.runs.map(r => (
        <span key={r.run_id} title={r.run_id} className="jp-mlops-compare-run">
          {r.label} <Badge text={r.status} tone={runTone(r.status)} />
        </span>
      ))}
    </div>
  );
}

function CompareTable(props: { data: RunComparison }): React.JSX.Element {
  const { data } = props;
  const [onlyDiff, setOnlyDiff] = React.useState(false);
  const metricDiffers = (values: RunComparison['metrics'][number]['values']) =>
    new Set(values.map(v => String(v))).size > 1;
  const params = onlyDiff ? data.params.filter(p => p.differs) : data.params;
  const metrics = onlyDiff ? data.metrics.filter(m => metricDiffers(m.values)) : data.metrics;
  return (
    <>
      <div className="jp-mlops-toolbar jp-mlops-compare-controls">
        <label>
          <input
            type="checkbox"
            aria-label="Only differences"
            checked={onlyDiff}
            onChange={e => setOnlyDiff(e.target.checked)}
          />{' '}
          Only differences
        </label>
        <span className="jp-mlops-muted">
          {data.params.filter(p => p.differs).length} of {data.params.length} params differ
        </span>
      </div>
      <table className="jp-mlops-table jp-mlops-compare-table">
        <thead>
          <tr>
            <th />
            {data.runs.map(r => (
              <th key={r.run_id} title={r.run_id}>
                {r.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          <tr>
            <th colSpan={data.runs.length + 1} className="jp-mlops-compare-group">
              Metrics (latest)
            </th>
          </tr>
          {metrics.map(m => (
            <tr
              key={`m-${m.key}`}
              data-metric={m.key}
              className={metricDiffers(m.values) ? 'jp-mlops-differs' : ''}
            >
              <th>{m.key}</th>
              {m.values.map((v, i) => (
                <td key={i}>{v === null ? '' : metric(v)}</td>
              ))}
            </tr>
          ))}
          <tr>
            <th colSpan={data.runs.length + 1} className="jp-mlops-compare-group">
              Parameters
            </th>
          </tr>
          {params.map(p => (
            <tr
              key={`p-${p.key}`}
              data-param={p.key}
              className={p.differs ? 'jp-mlops-differs' : ''}
            >
              <th>{p.key}</th>
              {p.values.map((v, i) => (
                <td key={i}>{v ?? ''}</td>
              ))}
            </tr>
          ))}
          {onlyDiff && !params.length && !metrics.length ? (
            <tr>
              <td colSpan={data.runs.length + 1} className="jp-mlops-muted">
                These runs logged the same params and metrics.
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
    </>
  );
}
