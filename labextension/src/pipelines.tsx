// The Pipelines tab: start a pipeline of the project, its runs with their step graphs, live
// step logs and failing cells; rerun, resume, cancel.
import * as React from 'react';

import { moving } from './badges';
import { cancelPipelineRun, getPipelineRun, listPipelineRuns, rerunPipelineRun } from './client';
import { EmptyState, ErrorLine, useApi } from './common';
import { PipelineRunCard } from './pipelineRunCard';
import { RunPipelineForm } from './runPipelineForm';
import type { PipelineRunDetail } from './wire';

const MOVING_MS = 1500;
const RESTING_MS = 10000;

export function PipelinesTab(props: {
  shown: boolean;
  open: (path: string) => void;
}): React.JSX.Element {
  const [details, setDetails] = React.useState<Record<string, PipelineRunDetail>>({});
  const [expanded, setExpanded] = React.useState<string | null>(null);
  const [actionError, setActionError] = React.useState<unknown>(null);
  const [starting, setStarting] = React.useState(false);

  const remember = React.useCallback((detail: PipelineRunDetail) => {
    setDetails(prev => ({ ...prev, [detail.run.id]: detail }));
  }, []);
  // The runs, and the steps of the expanded run (or of the one running): polled fast while
  // something moves.
  const runs = useApi(
    async signal => {
      const page = await listPipelineRuns({ limit: 50 }, { signal });
      const open = expanded ?? page.items.find(r => r.status === 'running')?.id ?? null;
      const detail = open ? await getPipelineRun(open, { signal }) : null;
      if (detail) {
        remember(detail);
      }
      return { page, detail };
    },
    [expanded, remember],
    {
      enabled: props.shown,
      poll: answer =>
        answer &&
        (answer.page.items.some(r => moving(r.status)) ||
          answer.detail?.step_runs.some(s => moving(s.status)))
          ? MOVING_MS
          : RESTING_MS
    }
  );

  const act = async (work: () => Promise<PipelineRunDetail>) => {
    try {
      const detail = await work();
      remember(detail);
      setExpanded(detail.run.id);
      runs.reload();
      setActionError(null);
    } catch (e) {
      setActionError(e);
    }
  };
  const rerun = (id: string, resume: boolean) => act(() => rerunPipelineRun(id, { resume }));
  const cancel = (id: string) => act(() => cancelPipelineRun(id));
  const page = runs.data?.page;

  return (
    <div className="jp-mlops-tab jp-mlops-pipelines">
      {starting ? (
        <RunPipelineForm
          started={detail => {
            setStarting(false);
            void act(() => Promise.resolve(detail));
          }}
          close={() => {
            setStarting(false);
          }}
        />
      ) : (
        <div className="jp-mlops-toolbar">
          <button
            className="jp-mlops-button jp-mod-accept"
            onClick={() => {
              setStarting(true);
            }}
          >
            Run a pipeline…
          </button>
        </div>
      )}
      <ErrorLine error={actionError ?? runs.error} />
      {page?.items.length === 0 ? (
        <EmptyState>
          No pipeline runs yet: write a <code>pipeline.yaml</code> of notebook steps, then press Run
          a pipeline.
        </EmptyState>
      ) : null}
      <div className="jp-mlops-scroll">
        {page?.items.map(r => (
          <PipelineRunCard
            key={r.id}
            run={r}
            detail={details[r.id] ?? null}
            expanded={expanded === r.id}
            toggle={() => {
              setExpanded(expanded === r.id ? null : r.id);
            }}
            open={props.open}
            rerun={rerun}
            cancel={cancel}
          />
        ))}
      </div>
    </div>
  );
}
