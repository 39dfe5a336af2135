// The runs table's pager: which runs of how many are shown, previous/next, a page to jump to.
import * as React from 'react';

/** Runs per page: the server reads one page (offset/limit), never all runs. */
export const PAGE_SIZE = 100;

/** How many pages ``total`` runs fill (one, even when there are none). */
export function pageCount(total: number): number {
  return Math.max(1, Math.ceil(total / PAGE_SIZE));
}

/** ``index`` counts from 0; ``go`` is called with the index of the page asked for. */
export function Pager(props: {
  total: number;
  index: number;
  pages: number;
  loading: boolean;
  go: (index: number) => void;
}): React.JSX.Element {
  const { total, index, pages, go } = props;
  const [draft, setDraft] = React.useState(String(index + 1));
  React.useEffect(() => setDraft(String(index + 1)), [index]);
  const first = total === 0 ? 0 : index * PAGE_SIZE + 1;
  const last = Math.min(total, (index + 1) * PAGE_SIZE);
  return (
    <span className="jp-mlops-pager">
      <span className="jp-mlops-muted jp-mlops-range">
        {first.toLocaleString('en-US')}–{last.toLocaleString('en-US')} of{' '}
        {total.toLocaleString('en-US')}
      </span>
      <button
        className="jp-mlops-button"
        aria-label="Previous page"
        disabled={index === 0}
        onClick={() => go(index - 1)}
      >
        ◀
      </button>
      <form
        onSubmit={e => {
          e.preventDefault();
          const wanted = Math.round(Number(draft));
          if (Number.isFinite(wanted)) {
            go(Math.min(pages, Math.max(1, wanted)) - 1);
          }
        }}
      >
        <label className="jp-mlops-muted">
          page{' '}
          <input
            className="jp-mlops-input jp-mlops-page-input"
            aria-label="Page"
            value={draft}
            onChange={e => setDraft(e.target.value)}
          />{' '}
          of {pages.toLocaleString('en-US')}
        </label>
      </form>
      <button
        className="jp-mlops-button"
        aria-label="Next page"
        disabled={index + 1 >= pages}
        onClick={() => go(index + 1)}
      >
        ▶
      </button>
    </span>
  );
}
