"""Datasets: every dataset, a dataset's versions, a version's column profile, and the diff
between two versions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as w  # type: ignore[import-untyped]

from jupyter_mlops import data as datasets_api
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.widgets import _html as h
from jupyter_mlops.widgets._base import Panel, button

if TYPE_CHECKING:
    import pandas as pd

    from jupyter_mlops.data.version import DatasetVersion


def _size(n: object) -> str:
    from jupyter_mlops.data.version import human_size

    return human_size(int(n)) if isinstance(n, int | float) and n == n else ""  # NaN-safe


def datasets_html(frame: pd.DataFrame) -> str:
    """Every dataset with its latest version."""
    if frame.empty:
        return h.note("No datasets yet: add one with %mlops data add PATH or mlops.data.add().")
    rows = [
        [
            h.esc(str(r["name"])),
            f"@{r['latest']}",
            h.fmt(r["versions"]),
            h.esc(str(r["format"])),
            _size(r["size"]),
            h.fmt(r["rows"]),
            h.esc(r["created_at"].strftime("%Y-%m-%d %H:%M")),
        ]
        for r in frame.to_dict("records")
    ]
    return h.table(["dataset", "latest", "versions", "format", "size", "rows", "updated"], rows)


def versions_html(frame: pd.DataFrame) -> str:
    """The versions of one dataset, newest first."""
    rows = [
        [
            h.esc(str(r["ref"])),
            h.esc(str(r["format"])),
            _size(r["size"]),
            h.fmt(r["rows"]),
            f"<code>{h.esc(str(r['digest'])[:12])}</code>",
            h.esc(r["created_at"].strftime("%Y-%m-%d %H:%M")),
            f"<code>{h.esc(str(r['run_id'] or '')[:8])}</code>",
            h.esc(str(r["tags"] or "")),
            h.esc(str(r["description"] or "")),
        ]
        for r in reversed(frame.to_dict("records"))
    ]
    return h.table(
        ["version", "format", "size", "rows", "digest", "created", "run", "tags", "description"],
        rows,
    )


def version_html(version: DatasetVersion) -> str:
    """One version: its facts and the per-column profile."""
    profile = "" if version.profile else h.note("No column profile (not a table).")
    return version._repr_html_() + profile


class DatasetPanel(Panel):
    """One dataset (``mlops.widgets.dataset(name)``, ``%mlops data show NAME``)."""

    kind = "dataset"

    def __init__(
        self, name: str, *, version: int | None = None, store: Store | None = None
    ) -> None:
        super().__init__()
        self.store = store or current_store()
        self.name = name
        self.versions = datasets_api.list(name, store=self.store)
        numbers = [int(v) for v in self.versions["version"]]
        self.version = w.Dropdown(
            options=numbers, value=version or numbers[-1], description="Version"
        )
        self.card = w.HTML()
        self.table = w.HTML()
        self.old = w.Dropdown(
            options=numbers, value=numbers[max(0, len(numbers) - 2)], description="From"
        )
        self.new = w.Dropdown(options=numbers, value=numbers[-1], description="To")
        self.diff_button = button("Diff", self.diff)
        self.diff_view = w.HTML()
        self.refresh_button = button("Refresh", self.refresh, icon="refresh")
        self.version.observe(lambda _c: self._show_version(), names="value")
        tabs = w.Tab(
            children=[
                w.VBox([self.version, self.card]),
                self.table,
                w.VBox([w.HBox([self.old, self.new, self.diff_button]), self.diff_view]),
            ]
        )
        for i, title in enumerate(("Version", "Versions", "Diff")):
            tabs.set_title(i, title)
        self.widget.children = [
            w.HBox([w.HTML(f"<b>Dataset {h.esc(name)}</b>"), self.refresh_button]),
            self.message,
            tabs,
        ]
        self._render()

    @property
    def current(self) -> DatasetVersion:
        """The version shown."""
        return datasets_api.get(f"{self.name}@{self.version.value}", store=self.store)

    def diff(self) -> None:
        """Show what changed between the two chosen versions."""
        if self.old.value == self.new.value:
            self.diff_view.value = h.note("Choose two different versions.")
            return
        result = datasets_api.diff(
            f"{self.name}@{self.old.value}", f"{self.name}@{self.new.value}", store=self.store
        )
        self.diff_view.value = result._repr_html_() if result else h.note("No difference.")

    def refresh(self) -> None:
        """Read the versions again (a new version appears in the lists)."""
        with self._lock:
            self.versions = datasets_api.list(self.name, store=self.store)
            numbers = [int(v) for v in self.versions["version"]]
            for dropdown in (self.version, self.old, self.new):
                dropdown.options = numbers
            self._render()

    def _show_version(self) -> None:
        self.card.value = version_html(self.current)

    def _render(self) -> None:
        self.table.value = versions_html(self.versions)
        self._show_version()

    def to_html(self) -> str:
        body = h.section(f"{self.name}@{self.version.value}", version_html(self.current))
        body += h.section("Versions", versions_html(self.versions))
        return h.panel(f"Dataset {self.name}", body, kind="dataset")

    def to_text(self) -> str:
        return self.current.describe()


class DatasetsPanel(Panel):
    """Every dataset (``mlops.widgets.datasets()``, ``%mlops data list``); open one below."""

    kind = "datasets"

    def __init__(self, *, store: Store | None = None) -> None:
        super().__init__()
        self.store = store or current_store()
        self.frame = datasets_api.list(store=self.store)
        self.table = w.HTML()
        self.pick = w.Dropdown(options=[], description="Open")
        self.detail = w.VBox()
        self.dataset: DatasetPanel | None = None
        self.refresh_button = button("Refresh", self.refresh, icon="refresh")
        self.pick.observe(lambda _c: self._open(), names="value")
        self.widget.children = [
            w.HBox([self.pick, self.refresh_button]),
            self.message,
            self.table,
            self.detail,
        ]
        self._render()

    def refresh(self) -> None:
        """Read the datasets again."""
        with self._lock:
            self.frame = datasets_api.list(store=self.store)
            self._render()

    def _render(self) -> None:
        self.table.value = datasets_html(self.frame)
        self.pick.options = [None, *self.frame["name"]]

    def _open(self) -> None:
        name = self.pick.value
        self.dataset = DatasetPanel(name, store=self.store) if name else None
        self.detail.children = [self.dataset.widget] if self.dataset else []

    def to_html(self) -> str:
        return h.panel("Datasets", datasets_html(self.frame), kind="datasets")

    def to_text(self) -> str:
        if self.frame.empty:
            return "No datasets yet."
        return repr(self.frame.set_index(self.frame.columns[0]))


def datasets(*, store: Store | None = None) -> DatasetsPanel:
    """Show every dataset, e.g. ``mlops.widgets.datasets()``."""
    return DatasetsPanel(store=store)


def dataset(ref: str, *, store: Store | None = None) -> DatasetPanel:
    """Show a dataset's versions, profile and diffs, e.g. ``mlops.widgets.dataset("churn@2")``.

    Raises:
        NotFoundError: no such dataset or version.
        MlopsUsageError: a malformed reference.
    """
    version = datasets_api.get(ref, store=store)  # validates the ref, names what is missing
    return DatasetPanel(version.name, version=version.version, store=store)
