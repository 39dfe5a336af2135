"""Datasets: every dataset, a dataset's versions, a version's column profile, and the diff
between two versions — read through the datasets service's records."""

from __future__ import annotations

import ipywidgets as w  # type: ignore[import-untyped]

from jupyter_mlops.data import compare
from jupyter_mlops.data import version as text
from jupyter_mlops.data.version import human_size
from jupyter_mlops.services import datasets as service
from jupyter_mlops.services import project
from jupyter_mlops.services.project import Store
from jupyter_mlops.services.schema import (
    DatasetDiffQuery,
    DatasetList,
    DatasetVersionInfo,
    DatasetVersionList,
)
from jupyter_mlops.widgets import _html as h
from jupyter_mlops.widgets._base import Directory, Panel, button


def _when(seconds: float) -> str:
    return h.when(seconds)


def datasets_html(listing: DatasetList) -> str:
    """Every dataset with its latest version."""
    if not listing.items:
        return h.note("No datasets yet: add one with %mlops data add PATH or mlops.data.add().")
    rows = [
        [
            h.esc(d.name),
            f"@{d.latest}",
            h.fmt(d.versions),
            h.esc(d.format),
            human_size(d.size),
            h.fmt(d.rows),
            h.esc(_when(d.created_at)),
        ]
        for d in listing.items
    ]
    return h.table(["dataset", "latest", "versions", "format", "size", "rows", "updated"], rows)


def datasets_text(listing: DatasetList) -> str:
    """Every dataset with its latest version, a line each."""
    if not listing.items:
        return "No datasets yet."
    return "\n".join(
        f"{d.name}@{d.latest}  {d.format}  {human_size(d.size)}"
        + ("" if d.rows is None else f"  {d.rows:,} rows")
        + f"  ({d.versions} version{'s' if d.versions != 1 else ''})"
        for d in listing.items
    )


def versions_html(listing: DatasetVersionList) -> str:
    """The versions of one dataset, newest first."""
    rows = [
        [
            h.esc(v.ref),
            h.esc(v.format),
            human_size(v.size),
            h.fmt(v.row_count),
            f"<code>{h.esc(v.digest[:12])}</code>",
            h.esc(_when(v.created_at)),
            f"<code>{h.esc((v.run_id or '')[:8])}</code>",
            h.esc(", ".join(f"{k}={val}" for k, val in sorted(v.tags.items()))),
            h.esc(v.description or ""),
        ]
        for v in reversed(listing.items)
    ]
    return h.table(
        ["version", "format", "size", "rows", "digest", "created", "run", "tags", "description"],
        rows,
    )


def version_html(version: DatasetVersionInfo) -> str:
    """One version: its facts and the per-column profile."""
    profile = "" if version.profile else h.note("No column profile (not a table).")
    return text.to_html(version.model_dump()) + profile


class DatasetPanel(Panel):
    """One dataset (``mlops.widgets.dataset(name)``, ``%mlops data show NAME``)."""

    kind = "dataset"

    def __init__(
        self, name: str, *, version: int | None = None, store: Store | None = None
    ) -> None:
        super().__init__()
        self.store = store or project.store()
        self.name = name
        self.versions = service.list_versions(self.store, name)
        numbers = self._numbers()
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

    def _numbers(self) -> list[int]:
        return [v.version for v in self.versions.items]

    @property
    def current(self) -> DatasetVersionInfo:
        """The version shown."""
        return next(v for v in self.versions.items if v.version == self.version.value)

    def diff(self) -> None:
        """Show what changed between the two chosen versions."""
        if self.old.value == self.new.value:
            self.diff_view.value = h.note("Choose two different versions.")
            return
        query = DatasetDiffQuery.model_validate({"from": self.old.value, "to": self.new.value})
        result = service.diff_versions(self.store, self.name, query)
        if result.same_content:
            self.diff_view.value = h.note("No difference.")
        else:
            self.diff_view.value = compare.to_html(result.model_dump())

    def refresh(self) -> None:
        """Read the versions again (a new version appears in the lists)."""
        with self._lock:
            self.versions = service.list_versions(self.store, self.name)
            numbers = self._numbers()
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
        return text.describe(self.current.model_dump())


class DatasetsPanel(Directory[DatasetList]):
    """Every dataset (``mlops.widgets.datasets()``, ``%mlops data list``); open one below."""

    kind = "datasets"
    title = "Datasets"

    def __init__(self, *, store: Store | None = None) -> None:
        super().__init__(store or project.store())

    @property
    def dataset(self) -> DatasetPanel | None:
        """The dataset opened below, if any."""
        return self.opened if isinstance(self.opened, DatasetPanel) else None

    def read(self) -> DatasetList:
        return service.list_datasets(self.store)

    def names(self) -> list[str]:
        return [d.name for d in self.listing.items]

    def listing_html(self) -> str:
        return datasets_html(self.listing)

    def open_one(self, name: str) -> Panel:
        return DatasetPanel(name, store=self.store)

    def to_text(self) -> str:
        return datasets_text(self.listing)


def datasets(*, store: Store | None = None) -> DatasetsPanel:
    """Show every dataset, e.g. ``mlops.widgets.datasets()``."""
    return DatasetsPanel(store=store)


def dataset(ref: str, *, store: Store | None = None) -> DatasetPanel:
    """Show a dataset's versions, profile and diffs, e.g. ``mlops.widgets.dataset("churn@2")``.

    Raises:
        NotFoundError: no such dataset or version.
        MlopsUsageError: a malformed reference.
    """
    shown = service.show(store or project.store(), ref)  # validates the ref, names what is missing
    return DatasetPanel(shown.name, version=shown.version, store=store)
