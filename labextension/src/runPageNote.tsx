// A run's markdown note: shown rendered (the server escapes raw HTML), edited in place.
import * as React from 'react';

import { getRunNote, setRunNote } from './client';
import { ErrorLine, useApi } from './common';

export function RunNote(props: { runId: string }): React.JSX.Element {
  const { runId } = props;
  const note = useApi(signal => getRunNote(runId, { signal }), [runId]);
  const [draft, setDraft] = React.useState<string | null>(null);
  const [error, setError] = React.useState<unknown>(null);
  const [saving, setSaving] = React.useState(false);
  const reload = note.reload;

  const save = async (text: string) => {
    setSaving(true);
    setError(null);
    try {
      await setRunNote(runId, { note: text });
      setDraft(null);
      reload();
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  };

  if (draft !== null) {
    return (
      <div className="jp-mlops-note jp-mlops-note-editing">
        <textarea
          className="jp-mlops-input jp-mlops-note-input"
          aria-label="Note"
          rows={6}
          placeholder="What this run tried, what you learned (markdown)"
          value={draft}
          onChange={e => setDraft(e.target.value)}
        />
        <div className="jp-mlops-row-line">
          <button
            className="jp-mlops-button jp-mod-accept"
            disabled={saving}
            onClick={() => void save(draft)}
          >
            Save note
          </button>
          <button className="jp-mlops-button" disabled={saving} onClick={() => setDraft(null)}>
            Cancel
          </button>
        </div>
        <ErrorLine error={error} />
      </div>
    );
  }
  const html = note.data?.html ?? '';
  return (
    <div className="jp-mlops-note">
      <ErrorLine error={note.error} />
      {html ? (
        // Rendered by the server with every raw HTML tag escaped and unsafe links removed.
        <div
          className="jp-mlops-note-body jp-RenderedMarkdown"
          dangerouslySetInnerHTML={{ __html: html }}
        />
      ) : (
        <div className="jp-mlops-muted">No note yet.</div>
      )}
      <button
        className="jp-mlops-button"
        disabled={note.data === null}
        onClick={() => setDraft(note.data?.note ?? '')}
      >
        {html ? 'Edit note' : 'Add a note'}
      </button>
    </div>
  );
}
