// The run page's Reproduce button and the run's reproductions (its certificates).
import * as React from 'react';

import { Badge, type Tone } from './badges';
import { reproduce } from './client';
import { ErrorLine } from './common';
import { ago, duration } from './format';
import type { CertificateInfo, ReproductionReport } from './wire';

export function verdictTone(verdict: string): Tone {
  if (verdict === 'reproduced') {
    return 'good';
  }
  return verdict === 'reproduced within tolerance' ? 'warn' : 'bad';
}

/** Seconds since ``start``, ticking once a second while ``running``. */
function useElapsed(running: boolean): number {
  const [elapsed, setElapsed] = React.useState(0);
  React.useEffect(() => {
    if (!running) {
      return;
    }
    const start = Date.now();
    setElapsed(0);
    const timer = window.setInterval(() => setElapsed((Date.now() - start) / 1000), 1000);
    return () => window.clearInterval(timer);
  }, [running]);
  return elapsed;
}

export function Reproduce(props: {
  runId: string;
  canReproduce: boolean;
  certificates: CertificateInfo[];
  openRun: (runId: string) => void;
  done: () => void;
}): React.JSX.Element {
  const { runId, openRun, done } = props;
  const [running, setRunning] = React.useState(false);
  const [report, setReport] = React.useState<ReproductionReport | null>(null);
  const [error, setError] = React.useState<unknown>(null);
  const elapsed = useElapsed(running);

  const start = async () => {
    setRunning(true);
    setError(null);
    setReport(null);
    try {
      setReport(await reproduce({ target: runId }));
    } catch (e) {
      setError(e);
    } finally {
      setRunning(false);
      done();
    }
  };
  return (
    <div className="jp-mlops-reproduce">
      <div className="jp-mlops-row-line">
        <button
          className="jp-mlops-button jp-mod-accept"
          disabled={running || !props.canReproduce}
          title={
            props.canReproduce
              ? 'Re-execute the recorded cells in a clean kernel and compare the results'
              : 'This run recorded no cells to re-execute'
          }
          onClick={() => void start()}
        >
          Reproduce
        </button>
        {running ? (
          <span className="jp-mlops-muted" role="status">
            Running: re-executing the recorded cells in a clean kernel… {duration(elapsed)}
          </span>
        ) : null}
      </div>
      <ErrorLine error={error} />
      {report ? <ReportLine report={report} openRun={openRun} /> : null}
      {props.certificates.length ? (
        <ul className="jp-mlops-certificates">
          {props.certificates.map(c => (
            <li key={c.id} data-certificate={c.id}>
              <Badge text={c.verdict} tone={verdictTone(c.verdict)} />{' '}
              <span className="jp-mlops-muted">
                #{c.id} · {ago(c.created_at)}
                {c.tolerance ? ` · tolerance ${c.tolerance}` : ''}
              </span>{' '}
              {c.reproduction_run_id ? (
                <RunButton runId={c.reproduction_run_id} openRun={openRun} />
              ) : null}
              {c.verdict === 'not reproduced' ? (
                <div className="jp-mlops-muted">{c.message}</div>
              ) : null}
            </li>
          ))}
        </ul>
      ) : (
        <div className="jp-mlops-muted">Not reproduced yet.</div>
      )}
    </div>
  );
}

function RunButton(props: { runId: string; openRun: (id: string) => void }): React.JSX.Element {
  return (
    <button
      className="jp-mlops-link"
      data-open-run={props.runId}
      onClick={() => props.openRun(props.runId)}
    >
      run {props.runId.slice(0, 8)}
    </button>
  );
}

function ReportLine(props: {
  report: ReproductionReport;
  openRun: (id: string) => void;
}): React.JSX.Element {
  const r = props.report;
  const first = r.differences.length ? r.differences[0] : null;
  return (
    <div className="jp-mlops-outcome" role="status" data-verdict={r.verdict}>
      <Badge text={r.verdict} tone={verdictTone(r.verdict)} /> {r.message}
      <div className="jp-mlops-muted">
        {r.cells.filter(c => c.kept).length} of {r.cells.length} recorded cells re-executed
        {r.executions > 1 ? ` ${r.executions} times` : ''} in {duration(r.duration)}
        {r.reproduction_run_id ? ' as ' : ''}
        {r.reproduction_run_id ? (
          <RunButton runId={r.reproduction_run_id} openRun={props.openRun} />
        ) : null}
      </div>
      {first ? (
        <div className="jp-mlops-muted">
          First difference: {first.kind} {first.key}: {String(first.original)} →{' '}
          {String(first.reproduced)}
          {r.cause ? ` (likely cause: ${r.cause})` : ''}
        </div>
      ) : null}
      {r.environment.map(e => (
        <div key={e} className="jp-mlops-muted">
          Environment differs: {e}
        </div>
      ))}
    </div>
  );
}
