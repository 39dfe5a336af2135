// The runs table's filter box: the filter language with "order by", completing the
// metrics./params./tags. keys the store has.
import * as React from 'react';

import { type ISuggestions, suggest } from './runsQuery';
import type { RunKeys } from './wire';

const NONE: ISuggestions = { start: 0, items: [] };

/** Enter (or "Filter") applies the text; Tab or a click takes a completion; Escape hides them. */
export function RunsFilterBox(props: {
  value: string;
  keys: RunKeys | null;
  apply: (value: string) => void;
}): React.JSX.Element {
  const { apply, value } = props;
  const [draft, setDraft] = React.useState(value);
  const [offer, setOffer] = React.useState<ISuggestions>(NONE);
  const [active, setActive] = React.useState(-1);
  const input = React.useRef<HTMLInputElement>(null);
  React.useEffect(() => setDraft(value), [value]);

  const refresh = (text: string, cursor: number) => {
    setOffer(suggest(text, cursor, props.keys));
    setActive(-1);
  };
  // Keys that arrive while the user is typing (another experiment picked, a slow store)
  // complete what is typed already, not only the next keystroke.
  const { keys } = props;
  React.useEffect(() => {
    const el = input.current;
    if (el && document.activeElement === el && el.value) {
      setOffer(suggest(el.value, el.selectionStart ?? el.value.length, keys));
      setActive(-1);
    }
  }, [keys]);
  const take = (item: string) => {
    const el = input.current;
    const cursor = el?.selectionStart ?? draft.length;
    const text = draft.slice(0, offer.start) + item + draft.slice(cursor);
    setDraft(text);
    setOffer(NONE);
    const at = offer.start + item.length;
    window.requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(at, at);
      // A group ("metrics.") goes on to its keys.
      if (item.endsWith('.')) {
        refresh(text, at);
      }
    });
  };

  return (
    <form
      className="jp-mlops-filter jp-mlops-runs-filter"
      onSubmit={e => {
        e.preventDefault();
        setOffer(NONE);
        apply(draft.trim());
      }}
    >
      <div className="jp-mlops-complete">
        <input
          ref={input}
          className="jp-mlops-input"
          aria-label="Filter runs"
          aria-autocomplete="list"
          aria-expanded={offer.items.length > 0}
          placeholder="metrics.auc > 0.9 and status = 'finished' order by metrics.auc desc"
          value={draft}
          spellCheck={false}
          onChange={e => {
            setDraft(e.target.value);
            refresh(e.target.value, e.target.selectionStart ?? e.target.value.length);
          }}
          onBlur={() => window.setTimeout(() => setOffer(NONE), 150)}
          onKeyDown={e => {
            const n = offer.items.length;
            if (n === 0) {
              return;
            }
            if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
              e.preventDefault();
              setActive(
                e.key === 'ArrowDown' ? (active + 1) % n : active <= 0 ? n - 1 : active - 1
              );
            } else if (e.key === 'Tab' || (e.key === 'Enter' && active >= 0)) {
              e.preventDefault();
              take(offer.items[Math.max(0, active)]);
            } else if (e.key === 'Escape') {
              setOffer(NONE);
            }
          }}
        />
        {offer.items.length ? (
          <ul className="jp-mlops-suggestions" role="listbox" aria-label="Completions">
            {offer.items.map((item, i) => (
              <li
                key={item}
                role="option"
                aria-selected={i === active}
                className={i === active ? 'jp-mod-active' : ''}
                onMouseDown={e => {
                  e.preventDefault();
                  take(item);
                }}
              >
                {item}
              </li>
            ))}
          </ul>
        ) : null}
      </div>
      <button type="submit" className="jp-mlops-button">
        Filter
      </button>
      {value ? (
        <button
          type="button"
          className="jp-mlops-button"
          title="Clear the filter"
          onClick={() => {
            setDraft('');
            apply('');
          }}
        >
          ×
        </button>
      ) : null}
    </form>
  );
}
