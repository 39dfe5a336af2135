"""The runs table: filter, sort, choose columns, page through the store, select to compare.

:func:`runs_page` reads one page of runs through :func:`jupyter_mlops.services.runs.search`
(the page the command line and the REST API give, never all runs); :class:`RunsTable` is
the widget over it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as w  # type: ignore[import-untyped]

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.services import project
from jupyter_mlops.services.project import Store
from jupyter_mlops.services.runs import search
from jupyter_mlops.services.schema import RunQuery, RunSummary
from jupyter_mlops.widgets import _html as h
from jupyter_mlops.widgets._base import AutoRefresh, Panel, button

#: How many param/metric columns show when none are chosen (thousands of params stay usable).
DEFAULT_DATA_COLUMNS = 8
#: How many child runs show under an opened parent (the rest: filter on ``parent_id``).
CHILD_ROWS = 100
SORTABLE = ("start_time", "end_time", "duration", "name", "status", "experiment", "user")
_LEAD = ("short_id", "name", "experiment", "status", "start_time", "duration")
_GROUPS = ("params", "metrics", "tags")


@dataclass
class RunsPage:
    """One page of runs, as the table shows it."""

    items: list[RunSummary]
    total: int
    page: int
    page_size: int
    columns: list[str]
    available: list[str]
    order_by: str
    filter: str | None = None
    error: str | None = None
    hidden: int = 0
    #: the child runs shown under each opened parent of the page
    children: dict[str, list[RunSummary]] = field(default_factory=dict)

    @property
    def tree(self) -> bool:
        """Whether the page lists top-level runs with their children under them (no filter:
        a filter lists every run that matches, flat)."""
        return not self.filter

    def rows(self) -> list[tuple[RunSummary, int]]:
        """The runs in the order shown, each with its depth (1: under its parent)."""
        shown: list[tuple[RunSummary, int]] = []
        for run in self.items:
            shown.append((run, 0))
            shown += [(child, 1) for child in self.children.get(run.run_id, [])]
        return shown

    @property
    def pages(self) -> int:
        """How many pages the filter's runs fill (at least 1)."""
        return max(1, math.ceil(self.total / self.page_size))

    @property
    def run_ids(self) -> list[str]:
        return [run.run_id for run, _ in self.rows()]

    @property
    def statuses(self) -> list[str]:
        return [run.status for run, _ in self.rows()]

    @property
    def running(self) -> bool:
        """Whether a run on this page is still running (the table then refreshes itself)."""
        return "running" in self.statuses


def cell(run: RunSummary, column: str) -> Any:
    """The value of ``column`` (``params.C``, ``metrics.auc``, ``tags.owner``) for ``run``."""
    group, _, key = column.partition(".")
    values: dict[str, Any] = getattr(run, group) if group in _GROUPS else {}
    return values.get(key)


def _available(items: Sequence[RunSummary]) -> list[str]:
    """The ``params.*``, ``metrics.*`` and ``tags.*`` columns of the page, each in key order."""
    return [
        f"{group}.{key}"
        for group in _GROUPS
        for key in sorted({key for run in items for key in getattr(run, group)})
    ]


def runs_page(
    filter: str | None = None,
    *,
    experiments: str | Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    order_by: str = "start_time desc",
    page: int = 0,
    page_size: int = 25,
    store: Store | None = None,
    opened: Sequence[str] = (),
) -> RunsPage:
    """Read one page of runs; a bad filter comes back as ``error``, not an exception.

    Without a filter the page holds top-level runs, each counting its child runs (pipeline
    steps, search candidates), which show under it when it is in ``opened``.

    Args:
        filter: the search language, e.g. ``metrics.auc > 0.9 and params.C = '0.5'``.
        experiments: only runs of these experiments.
        columns: ``params.X`` / ``metrics.X`` / ``tags.X`` columns to show (default: the
            first few metrics, then params, present on the page).
        order_by: one sort item, e.g. ``metrics.auc desc``.
        page: which page, from 0; past the end shows the last page.
        page_size: runs per page.
        store: the store (default: the project's).
        opened: parents (run ids) whose child runs to show under them.

    Returns:
        The page, with the total count for the pager.
    """
    if page_size < 1:
        raise MlopsUsageError(f"page_size must be 1 or more, got {page_size}.")
    store = store or project.store()
    page = max(0, page)
    query = RunQuery(
        filter=filter or "",
        experiment=[experiments] if isinstance(experiments, str) else list(experiments or ()),
        order_by=[order_by] if order_by else [],
        limit=page_size,
        offset=page * page_size,
        roots_only=not filter,
    )
    children: dict[str, list[RunSummary]] = {}
    try:
        found = search(store, query)
        if not found.items and page > 0:  # past the end: show the last page
            page = max(0, math.ceil(found.total / page_size) - 1)
            found = search(store, query.model_copy(update={"offset": page * page_size}))
        for run in found.items:
            if run.children and run.run_id in opened:
                under = RunQuery(
                    filter=f"parent_id = '{run.run_id}'",
                    order_by=query.order_by,
                    limit=CHILD_ROWS,
                    offset=0,
                )
                children[run.run_id] = search(store, under).items
    except MlopsUsageError as exc:  # a filter that does not parse, an unknown experiment
        return RunsPage([], 0, 0, page_size, [], [], order_by, filter, error=str(exc))
    available = _available([*found.items, *(c for runs in children.values() for c in runs)])
    if columns is None:
        chosen = [c for c in available if c.startswith("metrics.")]
        chosen += [c for c in available if c.startswith("params.")]
        shown = chosen[:DEFAULT_DATA_COLUMNS]
        hidden = len(chosen) - len(shown)
    else:
        shown = [c for c in columns if c in available]
        hidden = 0
    return RunsPage(
        found.items,
        found.total,
        page,
        page_size,
        shown,
        available,
        order_by,
        filter,
        hidden=hidden,
        children=children,
    )


def _when(ts: float) -> str:
    return h.when(ts)


def _seconds(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "running"
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"


def page_html(page: RunsPage, *, selected: Sequence[str] = ()) -> str:
    """The page as an HTML table (the widget's body and the saved notebook's output)."""
    if page.error:
        return h.error(f"Filter error: {page.error}")
    if page.total == 0:
        if page.filter:
            return h.note(f"No runs match {page.filter!r}.")
        return h.note("No runs yet: track one with %%mlops track or mlops.start_run().")
    head = ["", *_LEAD, *page.columns]
    rows, classes = [], []
    for run, depth in page.rows():
        cells = [
            "✔" if run.run_id in selected else "",
            f"<code>{h.esc(run.short_id)}</code>",
            _name_html(run, depth, page),
            h.esc(run.experiment),
            h.badge(run.status),
            _when(run.start_time),
            _seconds(run.duration),
        ]
        cells += [h.fmt(cell(run, c)) for c in page.columns]
        rows.append(cells)
        kinds = ["mlops-child" if depth else "", "mlops-selected" if run.run_id in selected else ""]
        classes.append(" ".join(k for k in kinds if k))
    first = page.page * page.page_size + 1
    summary = (
        f"runs {first:,} to {first + len(page.items) - 1:,} of {page.total:,} "
        f"(page {page.page + 1} of {page.pages}), sorted by {h.esc(page.order_by)}"
    )
    more = ""
    if page.hidden:
        more = h.note(
            f"{page.hidden:,} more param/metric columns not shown; choose them in Columns "
            "(or columns=[...])."
        )
    return (
        f'<p class="mlops-summary">{summary}</p>'
        + h.table(head, rows, row_classes=classes, cls="mlops-runs-table")
        + more
    )


def children_label(run: RunSummary, opened: bool) -> str:
    """What a parent row says of its children: ``▸ 12 child runs`` (``▾`` when shown)."""
    noun = "child run" if run.children == 1 else "child runs"
    return f"{'▾' if opened else '▸'} {run.children:,} {noun}"


def _name_html(run: RunSummary, depth: int, page: RunsPage) -> str:
    if depth:
        # Indented under its parent, as the sidebar and the lab's runs table show it.
        return f'<span class="mlops-indent" style="padding-left:1.5em">└ {h.esc(run.name)}</span>'
    if not run.children:
        return h.esc(run.name)
    opened = run.run_id in page.children
    shown = len(page.children.get(run.run_id, []))
    more = f" ({shown} shown)" if opened and shown < run.children else ""
    label = h.esc(children_label(run, opened) + more)
    return f'{h.esc(run.name)} <span class="mlops-children">{label}</span>'


def page_text(page: RunsPage) -> str:
    """The page as aligned plain text (terminals, logs)."""
    if page.error:
        return f"Filter error: {page.error}"
    if page.total == 0:
        return "No runs."
    head = [*_LEAD, *page.columns]
    rows = [
        [
            run.short_id,
            ("  └ " if depth else "") + run.name,
            run.experiment,
            run.status,
            _when(run.start_time),
            _seconds(run.duration),
            *(_plain(cell(run, c)) for c in page.columns),
        ]
        for run, depth in page.rows()
    ]
    widths = [max(len(x) for x in column) for column in zip(head, *rows, strict=True)]
    return "\n".join(
        "  ".join(x.ljust(n) for x, n in zip(line, widths, strict=True)).rstrip()
        for line in [head, *rows]
    )


def _plain(value: Any) -> str:
    if value is None:
        return ""
    return f"{value:.6g}" if isinstance(value, float) else str(value)


class RunsTable(Panel):
    """The runs of the store as a live table (``mlops.widgets.runs()``, ``%mlops runs``)."""

    kind = "runs"

    def __init__(
        self,
        filter: str | None = None,
        *,
        experiments: str | Sequence[str] | None = None,
        columns: Sequence[str] | None = None,
        order_by: str = "start_time desc",
        page_size: int = 25,
        store: Store | None = None,
        interval: float = 2.0,
    ) -> None:
        super().__init__()
        self.store = store or project.store()
        self.experiments = experiments
        self.page_size = page_size
        self.page_number = 0
        self.selected: list[str] = []
        self.opened: list[str] = []
        self._columns: list[str] | None = list(columns) if columns is not None else None
        self._syncing = False
        key, _, direction = order_by.strip().rpartition(" ")
        if direction.lower() not in ("asc", "desc"):
            key, direction = order_by.strip(), "asc"

        self.filter = w.Text(
            value=filter or "",
            placeholder="metrics.auc > 0.9 and params.C = '0.5'",
            description="Filter",
            continuous_update=False,
            layout=w.Layout(width="50%"),
        )
        self.sort = w.Dropdown(options=_sort_options([key]), value=key, description="Sort by")
        self.direction = w.ToggleButtons(options=["desc", "asc"], value=direction.lower())
        self.direction.style.button_width = "64px"
        self.column_picker = w.SelectMultiple(options=[], rows=4, description="Columns")
        self.table = w.HTML()
        self.prev_button = button("◀ Prev", self.prev_page)
        self.next_button = button("Next ▶", self.next_page)
        self.refresh_button = button("Refresh", self.refresh, icon="refresh")
        self.pager = w.HTML()
        self.picker = w.SelectMultiple(options=[], rows=5, description="Select")
        # Parents on the page whose child runs show under them (collapsed at first).
        self.children_picker = w.SelectMultiple(
            options=[], rows=3, description="Open", layout=w.Layout(display="none")
        )
        self.compare_button = button("Compare selected", self.compare)
        self.compare_box = w.VBox()
        # Refresh while a run on the page runs, and only while the panel is open.
        self.auto = AutoRefresh(
            self.refresh,
            lambda: self.widget.comm is not None and self.page.running,
            interval=interval,
        )

        self.filter.observe(lambda _c: self._reload(first=True), names="value")
        self.sort.observe(lambda _c: self._reload(first=True), names="value")
        self.direction.observe(lambda _c: self._reload(first=True), names="value")
        self.column_picker.observe(self._pick_columns, names="value")
        self.picker.observe(self._pick_runs, names="value")
        self.children_picker.observe(self._pick_parents, names="value")
        self.widget.children = [
            w.HBox([self.filter, self.refresh_button]),
            w.HBox([self.sort, self.direction]),
            self.column_picker,
            self.children_picker,
            self.message,
            self.table,
            w.HBox([self.prev_button, self.pager, self.next_button]),
            w.HBox([self.picker, self.compare_button]),
            self.compare_box,
        ]
        self.page = self._load()
        self._render()

    # -- data ----------------------------------------------------------------
    @property
    def order_by(self) -> str:
        """The sort item the table uses now, e.g. ``metrics.auc desc``."""
        return f"{self.sort.value} {self.direction.value}"

    def _load(self) -> RunsPage:
        return runs_page(
            self.filter.value.strip() or None,
            experiments=self.experiments,
            columns=self._columns,
            order_by=self.order_by,
            page=self.page_number,
            page_size=self.page_size,
            store=self.store,
            opened=self.opened,
        )

    def _reload(self, *, first: bool = False) -> None:
        if self._syncing:
            return
        with self._lock:
            if first:
                self.page_number = 0
            self.page = self._load()
            self.page_number = self.page.page
            self._render()

    def refresh(self) -> None:
        """Read the current page again from the store."""
        self._reload()

    def next_page(self) -> None:
        """Show the next page (the store skips the earlier rows; nothing else is loaded)."""
        if self.page_number + 1 < self.page.pages:
            self.page_number += 1
            self._reload()

    def prev_page(self) -> None:
        """Show the previous page."""
        if self.page_number > 0:
            self.page_number -= 1
            self._reload()

    def set_columns(self, columns: Sequence[str] | None) -> None:
        """Show these ``params.X`` / ``metrics.X`` columns (None: the default few)."""
        self._columns = list(columns) if columns is not None else None
        self._reload()

    def open_children(self, parents: Sequence[str], *, opened: bool = True) -> None:
        """Show (or, with ``opened=False``, hide) the child runs of these parents under them."""
        wanted = [p for p in self.opened if p not in parents]
        self.opened = [*wanted, *parents] if opened else wanted
        self._reload()

    def _pick_parents(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        on_page = {run.run_id for run in self.page.items}
        self.opened = [p for p in self.opened if p not in on_page] + list(change["new"])
        self._reload()

    def _pick_columns(self, change: dict[str, Any]) -> None:
        if not self._syncing:
            self.set_columns(list(change["new"]))

    def _pick_runs(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        on_page = set(self.page.run_ids)
        keep = [r for r in self.selected if r not in on_page]
        self.selected = keep + list(change["new"])
        self.table.value = page_html(self.page, selected=self.selected)

    def select(self, run_ids: Sequence[str]) -> None:
        """Select runs (full ids) for :meth:`compare`."""
        self.selected = list(dict.fromkeys(run_ids))
        self._render()

    def compare(self) -> None:
        """Open the comparison of the selected runs below the table."""
        if len(self.selected) < 2:
            self.say(h.error("Select at least two runs to compare."))
            return
        # start-up: the comparison panel loads matplotlib; only when two runs are compared
        from jupyter_mlops.widgets.compare import Comparison

        self.say("")
        self.comparison = Comparison(self.selected, store=self.store)
        self.compare_box.children = [self.comparison.widget]

    # -- view ----------------------------------------------------------------
    def _render(self) -> None:
        page = self.page
        self._syncing = True
        try:
            self.say("")
            self.table.value = page_html(page, selected=self.selected)
            keys = [k for k in page.available if not k.startswith("tags.")]
            self.sort.options = _sort_options([self.sort.value, *keys])
            self.column_picker.options = page.available
            self.column_picker.value = tuple(c for c in page.columns if c in page.available)
            self.picker.options = [
                (f"{'└ ' if depth else ''}{r.name} ({r.short_id})", r.run_id)
                for r, depth in page.rows()
            ]
            parents = [r for r in page.items if r.children and page.tree]
            self.children_picker.options = [
                (f"{r.name}: {children_label(r, r.run_id in page.children)}", r.run_id)
                for r in parents
            ]
            self.children_picker.value = tuple(
                r.run_id for r in parents if r.run_id in page.children
            )
            self.children_picker.layout.display = "" if parents else "none"
            self.picker.value = tuple(r for r in self.selected if r in page.run_ids)
            self.pager.value = f"page {page.page + 1} of {page.pages} ({page.total:,} runs)"
            self.prev_button.disabled = page.page == 0
            self.next_button.disabled = page.page + 1 >= page.pages
        finally:
            self._syncing = False
        self.auto.ensure()

    def to_html(self) -> str:
        return h.panel("Runs", page_html(self.page, selected=self.selected), kind="runs")

    def to_text(self) -> str:
        return page_text(self.page)

    def close(self) -> None:
        self.auto.stop()
        super().close()

    def __repr__(self) -> str:
        return f"<RunsTable {self.page.total} runs, page {self.page.page + 1}/{self.page.pages}>"


def _sort_options(first: Sequence[str]) -> list[str]:
    return list(dict.fromkeys([*first, *SORTABLE]))


def runs(
    filter: str | None = None,
    *,
    experiments: str | Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    order_by: str = "start_time desc",
    page_size: int = 25,
    store: Store | None = None,
) -> RunsTable:
    """Open the runs table, e.g. ``mlops.widgets.runs("metrics.auc > 0.9")``.

    Args:
        filter: the search language; an invalid filter shows its error in the panel.
        experiments: only runs of these experiments.
        columns: ``params.X`` / ``metrics.X`` columns to show.
        order_by: one sort item such as ``metrics.auc desc``.
        page_size: runs per page (pages are read from the store one at a time).
        store: the store (default: the project's).

    Returns:
        The panel; display it (the last expression of a cell) to see it.
    """
    return RunsTable(
        filter,
        experiments=experiments,
        columns=columns,
        order_by=order_by,
        page_size=page_size,
        store=store,
    )
