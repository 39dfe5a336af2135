// The runs table's column chooser: find any metric, param or tag the store has and show it
// as a column.
import * as React from 'react';

import type { RunKeys } from './wire';

/** Options listed per group at most: a store may have thousands of keys. */
const LISTED = 200;

/** ``chosen``: the data columns shown, as ``metrics.auc``, ``params.C``, ``tags.owner`` ... */
export function ColumnChooser(props: {
  keys: RunKeys | null;
  chosen: string[];
  setChosen: (columns: string[]) => void;
  close: () => void;
}): React.JSX.Element {
  const [find, setFind] = React.useState('');
  const chosen = new Set(props.chosen);
  const groups = (['metrics', 'params', 'tags'] as const).map(group => ({
    group,
    ids: (props.keys?.[group] ?? [])
      .map(k => `${group}.${k}`)
      .filter(id => id.toLowerCase().includes(find.toLowerCase()))
  }));
  const flip = (id: string, on: boolean) => {
    props.setChosen(on ? [...props.chosen, id] : props.chosen.filter(c => c !== id));
  };
  return (
    <div className="jp-mlops-column-chooser" role="dialog" aria-label="Columns">
      <div className="jp-mlops-toolbar">
        <input
          className="jp-mlops-input"
          aria-label="Find a column"
          placeholder="find a param, metric or tag"
          value={find}
          onChange={e => setFind(e.target.value)}
        />
        <button className="jp-mlops-button" onClick={() => props.setChosen([])}>
          None
        </button>
        <button className="jp-mlops-button" onClick={props.close}>
          Done
        </button>
      </div>
      <div className="jp-mlops-column-groups">
        {groups.map(({ group, ids }) => (
          <fieldset key={group} className="jp-mlops-column-group">
            <legend>
              {group} ({ids.length})
            </legend>
            {ids.length === 0 ? <span className="jp-mlops-muted">none</span> : null}
            {ids.slice(0, LISTED).map(id => (
              <label key={id} className="jp-mlops-column-option" title={id}>
                <input
                  type="checkbox"
                  checked={chosen.has(id)}
                  onChange={e => flip(id, e.target.checked)}
                />
                {id.slice(group.length + 1)}
              </label>
            ))}
            {ids.length > LISTED ? (
              <span className="jp-mlops-muted">{ids.length - LISTED} more: narrow the search</span>
            ) : null}
          </fieldset>
        ))}
      </div>
    </div>
  );
}
