// The runs table's bulk actions on the selected runs: compare, tag, delete and restore, with
// what the last one did (or why it failed).
import * as React from 'react';

import { deleteRuns, restoreRuns, tagRuns } from './client';
import { ErrorLine } from './common';
import { plural } from './format';

/**
 * The selection bar, the tag form it opens and the actions' error. ``children`` close the bar
 * (the pager); ``afterChange`` reads the runs again once an action changed them.
 */
export function BulkActions(props: {
  selected: Set<string>;
  setSelected: (selected: Set<string>) => void;
  /** Whether a selected run shown is deleted (Restore needs one). */
  anyDeletedSelected: boolean;
  showDeleted: boolean;
  setShowDeleted: (on: boolean) => void;
  compare: (runIds: string[]) => void;
  afterChange: () => void;
  children: React.ReactNode;
}): React.JSX.Element {
  const { selected, setSelected, showDeleted, afterChange } = props;
  const [tagging, setTagging] = React.useState(false);
  const [message, setMessage] = React.useState('');
  const [actionError, setActionError] = React.useState<unknown>(null);
  const selectedIds = [...selected];

  const changeLifecycle = async (restore: boolean) => {
    setActionError(null);
    try {
      const done = await (restore ? restoreRuns : deleteRuns)({ runs: selectedIds });
      const verb = restore ? 'Restored' : 'Deleted';
      const already = done.unchanged.length
        ? ` (${plural(done.unchanged.length, 'run')} already ${restore ? 'active' : 'deleted'})`
        : '';
      setMessage(`${verb} ${plural(done.changed.length, 'run')}${already}.`);
      if (!restore) {
        setSelected(new Set());
      }
      afterChange();
    } catch (error) {
      setActionError(error);
    }
  };
  const tag = async (tags: Record<string, string>) => {
    setActionError(null);
    try {
      const done = await tagRuns({ runs: selectedIds, tags });
      const text = Object.entries(done.tags)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ');
      setMessage(`Tagged ${plural(done.runs.length, 'run')} with ${text}.`);
      setTagging(false);
      afterChange();
    } catch (error) {
      setActionError(error);
    }
  };

  return (
    <>
      <div className="jp-mlops-toolbar jp-mlops-runs-table-bar">
        <span className="jp-mlops-selection">
          {selected.size ? `${plural(selected.size, 'run')} selected` : 'No runs selected'}
        </span>
        <button
          className="jp-mlops-button"
          disabled={selected.size < 2}
          title="Compare the selected runs side by side"
          onClick={() => props.compare(selectedIds)}
        >
          Compare
        </button>
        <button
          className="jp-mlops-button"
          disabled={selected.size === 0}
          aria-expanded={tagging}
          onClick={() => setTagging(!tagging)}
        >
          Tag…
        </button>
        <button
          className="jp-mlops-button"
          disabled={selected.size === 0}
          title="Delete the selected runs (they leave searches; Restore brings them back)"
          onClick={() => void changeLifecycle(false)}
        >
          Delete
        </button>
        {showDeleted ? (
          <button
            className="jp-mlops-button"
            disabled={!props.anyDeletedSelected}
            title="Restore the selected deleted runs"
            onClick={() => void changeLifecycle(true)}
          >
            Restore
          </button>
        ) : null}
        <button
          className="jp-mlops-button"
          disabled={selected.size === 0}
          onClick={() => setSelected(new Set())}
        >
          Clear selection
        </button>
        <label className="jp-mlops-muted jp-mlops-show-deleted">
          <input
            type="checkbox"
            checked={showDeleted}
            onChange={e => props.setShowDeleted(e.target.checked)}
          />{' '}
          Show deleted
        </label>
        {message ? <span className="jp-mlops-muted jp-mlops-message">{message}</span> : null}
        {props.children}
      </div>
      {tagging && selected.size ? <TagForm count={selected.size} submit={tag} /> : null}
      <ErrorLine error={actionError} />
    </>
  );
}

/** Tags as ``KEY=VALUE`` pairs, comma-separated; a pair without a key is refused. */
function TagForm(props: {
  count: number;
  submit: (tags: Record<string, string>) => Promise<void>;
}): React.JSX.Element {
  const [draft, setDraft] = React.useState('');
  const [error, setError] = React.useState('');
  return (
    <form
      className="jp-mlops-toolbar jp-mlops-tag-form"
      onSubmit={e => {
        e.preventDefault();
        const tags: Record<string, string> = {};
        for (const item of draft.split(',')) {
          const eq = item.indexOf('=');
          if (eq <= 0) {
            setError(`Write each tag as KEY=VALUE (comma-separated), not "${item.trim()}".`);
            return;
          }
          tags[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
        }
        setError('');
        void props.submit(tags);
      }}
    >
      <label className="jp-mlops-muted">
        Tag {plural(props.count, 'selected run')} with{' '}
        <input
          className="jp-mlops-input"
          aria-label="Tags to set"
          placeholder="review=keep"
          value={draft}
          onChange={e => setDraft(e.target.value)}
        />
      </label>
      <button type="submit" className="jp-mlops-button jp-mod-accept" disabled={!draft.trim()}>
        Set tags
      </button>
      {error ? <span className="jp-mlops-error-inline">{error}</span> : null}
    </form>
  );
}
