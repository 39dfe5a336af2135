// One step's notebook so far: the output of its cells while it runs (polled), and where it
// failed — the failing cell's code and its error — once it has.
import * as React from 'react';

import { moving } from './badges';
import { getStepLog } from './client';
import { ErrorLine, OpenLink, useApi } from './common';
import type { StepFailure, StepLog } from './wire';

const LIVE_MS = 1000;

export function StepLogView(props: {
  runId: string;
  step: string;
  /** The step's status in the run: a change loads the log again (ended, cancelled). */
  status: string;
  open: (path: string) => void;
}): React.JSX.Element {
  const { runId, step, status } = props;
  // ``status`` is not read by the load: a change of it (ended, cancelled) loads again.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const log = useApi(signal => getStepLog(runId, step, { signal }), [runId, step, status], {
    poll: answer => (answer === null || moving(answer.status) ? LIVE_MS : null)
  });
  const data = log.data;
  const tail = React.useRef<HTMLPreElement>(null);
  const text = data ? output(data) : '';
  React.useEffect(() => {
    const pre = tail.current;
    if (pre) {
      pre.scrollTop = pre.scrollHeight; // follow the newest lines
    }
  }, [text]);
  return (
    <div className="jp-mlops-step-log" data-step-log={step}>
      <div className="jp-mlops-row-line jp-mlops-muted">
        <span className="jp-mlops-run-name">{step}</span>
        <span>{data?.status ?? ''}</span>
        <OpenLink path={data?.notebook_in_root ?? null} open={props.open} label="notebook" />
      </div>
      <ErrorLine error={log.error} />
      {data?.failure ? <FailingCell failure={data.failure} /> : null}
      {text ? (
        <pre className="jp-mlops-log" ref={tail} data-log-output>
          {text}
        </pre>
      ) : data && !data.failure ? (
        <div className="jp-mlops-muted">
          {moving(data.status) ? 'No output yet…' : 'This step printed nothing.'}
        </div>
      ) : null}
    </div>
  );
}

function output(log: StepLog): string {
  return log.cells
    .filter(c => c.output)
    .map(c => c.output)
    .join('');
}

function FailingCell(props: { failure: StepFailure }): React.JSX.Element {
  const f = props.failure;
  return (
    <div className="jp-mlops-failure" data-failing-cell={f.cell_index ?? ''}>
      <div className="jp-mlops-muted">
        {f.source ? 'Failed in this cell:' : 'Failed outside its cells:'}
      </div>
      {f.source ? <pre className="jp-mlops-log jp-mlops-failure-source">{f.source}</pre> : null}
      <div className="jp-mlops-error" data-failure-error>
        {f.ename ? `${f.ename}: ${f.evalue}` : f.evalue}
      </div>
      {f.traceback ? (
        <details>
          <summary className="jp-mlops-muted">Traceback</summary>
          <pre className="jp-mlops-log">{f.traceback}</pre>
        </details>
      ) : null}
    </div>
  );
}
