// Artifacts shown inline: images, HTML reports (sandboxed: no scripts), tables, JSON, text,
// notebooks. The server reads each object and sends only what is shown.
import * as React from 'react';

import { getRunNotebook, previewArtifact } from './client';
import { ErrorLine, useApi } from './common';
import { bytes } from './format';
import { serverUrl } from './transport';
import type { ArtifactInfo, ArtifactPreview, NotebookCellPreview, PreviewTable } from './wire';

/** Artifacts up to this many open with their preview shown; the rest open on a click. */
const OPEN_AT_FIRST = 8;
/** What the toolkit logs itself (the session's cells, model files): closed at first. */
const INTERNAL = ['mlops/', 'models/'];

function shownAtFirst(artifacts: ArtifactInfo[]): Set<string> {
  const own = artifacts.filter(a => !INTERNAL.some(prefix => a.path.startsWith(prefix)));
  return new Set(own.slice(0, OPEN_AT_FIRST).map(a => a.path));
}

export function Artifacts(props: { runId: string; artifacts: ArtifactInfo[] }): React.JSX.Element {
  const { runId, artifacts } = props;
  if (artifacts.length === 0) {
    return <div className="jp-mlops-muted">No artifacts.</div>;
  }
  const open = shownAtFirst(artifacts);
  return (
    <div className="jp-mlops-artifacts">
      {artifacts.map(a => (
        <ArtifactItem
          key={a.path + a.digest}
          runId={runId}
          artifact={a}
          initiallyOpen={open.has(a.path)}
        />
      ))}
    </div>
  );
}

function ArtifactItem(props: {
  runId: string;
  artifact: ArtifactInfo;
  initiallyOpen: boolean;
}): React.JSX.Element {
  const a = props.artifact;
  const [open, setOpen] = React.useState(props.initiallyOpen);
  return (
    <details
      className="jp-mlops-artifact"
      data-artifact={a.path}
      open={open}
      onToggle={e => setOpen((e.target as HTMLDetailsElement).open)}
    >
      <summary>
        <span className="jp-mlops-artifact-path">{a.path}</span>{' '}
        <span className="jp-mlops-muted">
          {bytes(a.size)} · {a.kind}
        </span>{' '}
        <a
          className="jp-mlops-link"
          href={serverUrl(a.url)}
          download={a.path.split('/').pop()}
          target="_blank"
          rel="noreferrer"
          onClick={e => e.stopPropagation()}
        >
          Download
        </a>
      </summary>
      {open ? <ArtifactBody runId={props.runId} path={a.path} /> : null}
    </details>
  );
}

function ArtifactBody(props: { runId: string; path: string }): React.JSX.Element {
  const { runId, path } = props;
  const preview = useApi(
    signal => previewArtifact(runId, { path, rows: 50 }, { signal }),
    [runId, path]
  );
  if (preview.data === null) {
    return (
      <div className="jp-mlops-preview">
        <ErrorLine error={preview.error} />
        {preview.error ? null : <div className="jp-mlops-muted">Loading preview…</div>}
      </div>
    );
  }
  return <Preview preview={preview.data} />;
}

export function Preview(props: { preview: ArtifactPreview }): React.JSX.Element {
  const p = props.preview;
  return (
    <div className="jp-mlops-preview" data-preview-kind={p.kind}>
      {p.message ? (
        <div className="jp-mlops-muted jp-mlops-preview-message">{p.message}</div>
      ) : null}
      <PreviewBody preview={p} />
    </div>
  );
}

function PreviewBody(props: { preview: ArtifactPreview }): React.JSX.Element | null {
  const p = props.preview;
  switch (p.kind) {
    case 'image':
      return <img className="jp-mlops-preview-image" src={serverUrl(p.url)} alt={p.path} />;
    case 'html':
      // An empty sandbox: no scripts, no forms, no same-origin access to the lab.
      return (
        <iframe className="jp-mlops-preview-html" sandbox="" title={p.path} srcDoc={p.text ?? ''} />
      );
    case 'table':
      return p.table ? <PreviewRows table={p.table} /> : null;
    case 'json':
    case 'text':
      return <pre className="jp-mlops-preview-text">{p.text}</pre>;
    case 'notebook':
      return <NotebookCells cells={p.cells ?? []} />;
    case 'none':
      return null;
  }
}

function PreviewRows(props: { table: PreviewTable }): React.JSX.Element {
  const t = props.table;
  const more =
    t.total_rows !== null && t.total_rows > t.rows.length
      ? `First ${t.rows.length} of ${t.total_rows.toLocaleString()} rows.`
      : t.total_rows === null
        ? `First ${t.rows.length} rows.`
        : null;
  return (
    <div className="jp-mlops-preview-table-wrap">
      <table className="jp-mlops-table jp-mlops-preview-table">
        <thead>
          <tr>
            {t.columns.map((c, i) => (
              <th key={i}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {t.rows.map((row, i) => (
            <tr key={i}>
              {row.map((v, j) => (
                <td key={j} className={v === null ? 'jp-mlops-muted' : undefined}>
                  {v ?? '—'}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {more ? <div className="jp-mlops-muted">{more}</div> : null}
    </div>
  );
}

/** A notebook's cells with their outputs, read-only. */
export function NotebookCells(props: { cells: NotebookCellPreview[] }): React.JSX.Element {
  return (
    <div className="jp-mlops-notebook">
      {props.cells.map((c, i) => (
        <div key={i} className={`jp-mlops-nb-cell jp-mlops-nb-${c.cell_type}`}>
          {c.cell_type === 'markdown' && c.html !== null ? (
            // Rendered by the server with raw HTML escaped.
            <div className="jp-RenderedMarkdown" dangerouslySetInnerHTML={{ __html: c.html }} />
          ) : (
            <div className="jp-mlops-nb-input">
              <span className="jp-mlops-cell-prompt">
                {c.cell_type === 'code' ? `[${c.execution_count ?? ' '}]` : ''}
              </span>
              <pre className="jp-mlops-code">
                <code>{c.source}</code>
              </pre>
            </div>
          )}
          {c.outputs.map((o, j) =>
            o.kind === 'image' ? (
              <img key={j} className="jp-mlops-nb-image" src={o.text} alt="output" />
            ) : o.kind === 'html' ? (
              <iframe
                key={j}
                className="jp-mlops-nb-html"
                sandbox=""
                title="output"
                srcDoc={o.text}
              />
            ) : (
              <pre key={j} className={`jp-mlops-nb-output jp-mlops-nb-${o.kind}`}>
                {o.text}
              </pre>
            )
          )}
        </div>
      ))}
    </div>
  );
}

/** The notebook a run executed, read-only (the content of its own lab tab). */
export function RecordedNotebook(props: { runId: string }): React.JSX.Element {
  const { runId } = props;
  const nb = useApi(signal => getRunNotebook(runId, { signal }), [runId]);
  return (
    <div className="jp-mlops-page" data-recorded-notebook={runId}>
      <ErrorLine error={nb.error} />
      {nb.data === null ? (
        nb.error ? null : (
          <div className="jp-mlops-muted">Loading the notebook…</div>
        )
      ) : (
        <>
          <div className="jp-mlops-muted">
            {nb.data.path} · executed by run {runId.slice(0, 8)} · read-only
          </div>
          <Preview preview={nb.data} />
        </>
      )}
    </div>
  );
}
