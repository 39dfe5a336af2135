// Where a run came from and what came of it: data versions, models, pipeline run, git and
// the environment it ran in.
import * as React from 'react';

import { Badge, pipelineTone } from './badges';
import type { IRunPageActions } from './runPageActions';
import type { PipelineRunStatus, RunDetail, RunLinks } from './wire';

export function RegistryLinks(props: {
  links: RunLinks;
  actions: IRunPageActions;
}): React.JSX.Element {
  const { links, actions } = props;
  const inputs = links.datasets.filter(d => d.direction === 'input');
  const outputs = links.datasets.filter(d => d.direction !== 'input');
  const p = links.pipeline;
  const executed = p?.output_notebook ?? null;
  const original = links.reproduction_of;
  const nothing = !links.models.length && !links.datasets.length && !p && !links.reproduction_of;
  return (
    <ul className="jp-mlops-links">
      {nothing ? (
        <li className="jp-mlops-muted">No registered models, datasets or pipeline run.</li>
      ) : null}
      {links.models.map(m => (
        <li key={m.uri} data-link="model">
          This run produced{' '}
          <button className="jp-mlops-link" onClick={() => actions.openModel(m.name, m.version)}>
            {m.uri}
          </button>
          {m.stages.map(s => (
            <Badge key={s} text={s} tone="neutral" kind={`stage-${s}`} />
          ))}
        </li>
      ))}
      {inputs.map(d => (
        <li key={`${d.ref}-${d.role}`} data-link="dataset">
          Trained on dataset{' '}
          <button
            className="jp-mlops-link"
            onClick={() => actions.openDataset(d.dataset, d.version)}
          >
            {d.dataset} v{d.version}
          </button>{' '}
          <span className="jp-mlops-muted">
            {d.role}
            {d.rows !== null ? ` · ${d.rows.toLocaleString()} rows` : ''}
          </span>
        </li>
      ))}
      {outputs.map(d => (
        <li key={`${d.ref}-${d.role}`} data-link="dataset-output">
          Wrote dataset{' '}
          <button
            className="jp-mlops-link"
            onClick={() => actions.openDataset(d.dataset, d.version)}
          >
            {d.dataset} v{d.version}
          </button>{' '}
          <span className="jp-mlops-muted">{d.role}</span>
        </li>
      ))}
      {p ? (
        <li data-link="pipeline">
          {p.step ? `Step ${p.step} of pipeline run ` : 'Parent run of pipeline run '}
          <button className="jp-mlops-link" onClick={actions.openPipelines}>
            {p.pipeline} {p.pipeline_run_id.slice(0, 8)}
          </button>{' '}
          <Badge text={p.status} tone={pipelineTone(p.status as PipelineRunStatus)} />
          {executed ? (
            <>
              {' '}
              <button className="jp-mlops-link" onClick={() => actions.openPath(executed)}>
                executed notebook
              </button>
            </>
          ) : null}
        </li>
      ) : null}
      {original ? (
        <li data-link="reproduces">
          Reproduction of{' '}
          <button className="jp-mlops-link" onClick={() => actions.openRun(original)}>
            run {original.slice(0, 8)}
          </button>
        </li>
      ) : null}
    </ul>
  );
}

export function Provenance(props: { run: RunDetail }): React.JSX.Element {
  const { run } = props;
  const env = run.environment;
  const text = (value: unknown): string => (typeof value === 'string' ? value : '');
  const packages = Object.entries((env.packages ?? {}) as Record<string, string>).sort(([a], [b]) =>
    a.localeCompare(b)
  );
  return (
    <table className="jp-mlops-table jp-mlops-provenance">
      <tbody>
        <tr>
          <th>Git</th>
          <td data-provenance="git">
            {run.git_commit ? (
              <>
                <code>{run.git_commit.slice(0, 12)}</code>
                {run.git_branch ? ` on ${run.git_branch}` : ''}
                {run.git_dirty ? ' · uncommitted changes' : ' · clean'}
              </>
            ) : (
              <span className="jp-mlops-muted">not in a git repository</span>
            )}
          </td>
        </tr>
        <tr>
          <th>Python</th>
          <td data-provenance="python">
            {text(env.python) || '?'}
            {text(env.platform) ? (
              <span className="jp-mlops-muted"> · {text(env.platform)}</span>
            ) : null}
          </td>
        </tr>
        <tr>
          <th>Packages</th>
          <td data-provenance="packages">
            {packages.length === 0 ? (
              <span className="jp-mlops-muted">none recorded</span>
            ) : (
              <details>
                <summary>
                  {packages.length} packages:{' '}
                  {packages
                    .slice(0, 4)
                    .map(([n, v]) => `${n} ${v}`)
                    .join(', ')}
                  {packages.length > 4 ? ', …' : ''}
                </summary>
                <ul className="jp-mlops-packages">
                  {packages.map(([n, v]) => (
                    <li key={n}>
                      {n} <span className="jp-mlops-muted">{v}</span>
                    </li>
                  ))}
                </ul>
              </details>
            )}
          </td>
        </tr>
        {run.host ? (
          <tr>
            <th>Host</th>
            <td>{run.host}</td>
          </tr>
        ) : null}
      </tbody>
    </table>
  );
}
