// What the runs table's filter box understands: "FILTER order by KEYS", and completion of
// metrics./params./tags. keys from the store.
import type { RunKeys } from './wire';

/** A filter box's text split into the filter and its ``order by`` keys (empty if none). */
export interface ISplitQuery {
  filter: string;
  orderBy: string[];
}

/** Split ``text`` at an ``order by`` outside quotes: ``metrics.auc > 0.9 order by name``. */
export function splitOrderBy(text: string): ISplitQuery {
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== null) {
      if (c === quote) {
        quote = null;
      }
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      quote = c;
      continue;
    }
    const before = i === 0 ? ' ' : text[i - 1];
    if (/\s/.test(before) || i === 0) {
      const match = /^order\s+by\b/i.exec(text.slice(i));
      if (match) {
        const keys = text
          .slice(i + match[0].length)
          .split(',')
          .map(k => k.trim())
          .filter(k => k.length > 0);
        return { filter: text.slice(0, i).trim(), orderBy: keys };
      }
    }
  }
  return { filter: text.trim(), orderBy: [] };
}

/** A key as the filter language writes it: backquoted unless it is plain word characters. */
export function quoteKey(group: string, key: string): string {
  return /^[A-Za-z0-9_.]+$/.test(key) ? `${group}.${key}` : `${group}.\`${key}\``;
}

const ATTRIBUTES = [
  'name',
  'status',
  'experiment',
  'run_id',
  'user',
  'parent_id',
  'start_time',
  'end_time',
  'duration'
];
const GROUPS = ['metrics', 'params', 'tags'] as const;
const WORDS = [
  'and',
  'or',
  'not',
  'like',
  'ilike',
  'in',
  'is',
  'null',
  'order',
  'by',
  'asc',
  'desc'
];
const MAX_SUGGESTIONS = 12;

/** What to offer at the cursor: the word being typed (to replace) and its completions. */
export interface ISuggestions {
  /** where the word being completed starts in the text */
  start: number;
  items: string[];
}

/**
 * Completions for the word that ends at ``cursor``: ``metrics.``/``params.``/``tags.`` keys
 * the store has once the group is typed, else the groups and attributes it starts.
 */
export function suggest(text: string, cursor: number, keys: RunKeys | null): ISuggestions {
  const before = text.slice(0, cursor);
  // Inside a string nothing is offered.
  const quotes = (before.match(/'/g) ?? []).length + (before.match(/"/g) ?? []).length;
  const word = /[A-Za-z_][\w.`-]*$/.exec(before);
  if (word === null || quotes % 2 === 1) {
    return { start: cursor, items: [] };
  }
  const typed = word[0];
  const start = cursor - typed.length;
  const dot = typed.indexOf('.');
  let items: string[];
  if (dot >= 0) {
    const group = typed
      .slice(0, dot)
      .toLowerCase()
      .replace(/^(metric|param|tag)$/, '$1s');
    const rest = typed.slice(dot + 1).replace(/`/g, '');
    const all = keys && (GROUPS as readonly string[]).includes(group) ? keys[group as 'tags'] : [];
    items = all.filter(k => k.startsWith(rest)).map(k => quoteKey(group, k));
  } else {
    const lower = typed.toLowerCase();
    if (WORDS.includes(lower)) {
      return { start: cursor, items: [] };
    }
    items = [...GROUPS.map(g => `${g}.`), ...ATTRIBUTES].filter(
      name => name.startsWith(lower) && name !== lower
    );
  }
  return { start, items: items.filter(item => item !== typed).slice(0, MAX_SUGGESTIONS) };
}
