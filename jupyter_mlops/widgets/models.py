"""The model registry: models, versions with stage badges, the model card, the promotion
history, and a promote action that shows each check before and after it runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import ipywidgets as w  # type: ignore[import-untyped]

from jupyter_mlops import models as registry
from jupyter_mlops.errors import ConflictError, GateRefused, MlopsUsageError
from jupyter_mlops.expressions import GateResult
from jupyter_mlops.models.promotion import check_stages
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.widgets import _html as h
from jupyter_mlops.widgets._base import Panel, button

if TYPE_CHECKING:
    import pandas as pd


def preview_checks(
    name: str,
    version: int,
    to: str,
    checks: Sequence[str],
    *,
    store: Store | None = None,
) -> list[GateResult]:
    """Evaluate promotion ``checks`` for ``name`` v``version`` -> ``to`` without promoting.

    This is :func:`jupyter_mlops.models.check_promotion` (the checks exactly as
    :func:`~jupyter_mlops.models.promote` evaluates them, read now); the panel takes no
    validation notebook, so none runs. Nothing is written.

    Raises:
        NotFoundError: an unknown model or version.
        MlopsUsageError: an unknown stage, or the version already holds it.
    """
    return registry.check_promotion(name, version, to, checks=checks, store=store).checks


def checks_html(results: Sequence[GateResult], *, title: str) -> str:
    """One row per check: a badge (passed, failed in red, error) and its message."""
    if not results:
        return h.note(f"{title}: no checks given; the promotion is not gated.")
    rows = [[h.badge(r.status), h.esc(r.message)] for r in results]
    return f"<p><b>{h.esc(title)}</b></p>" + h.table(["check", "result"], rows)


@dataclass
class ModelData:
    """One registered model: versions (newest first), a chosen version's card, history."""

    name: str
    versions: pd.DataFrame
    card: registry.ModelVersion | None
    events: list[registry.PromotionEvent] = field(default_factory=list)


def model_data(name: str, version: int | None = None, *, store: Store | None = None) -> ModelData:
    """Read model ``name``: its versions, the card of ``version`` (default latest), history."""
    store = store or current_store()
    versions = registry.list_versions(name, store=store)
    card = None
    if not versions.empty:
        card = registry.get(name, version or int(versions["version"].iloc[0]), store=store)
    return ModelData(name, versions, card, registry.events(name, store=store))


def _when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M")


def models_html(frame: pd.DataFrame) -> str:
    """Every registered model, with the stages its versions hold."""
    if frame.empty:
        return h.note("No model is registered yet: %mlops model register NAME after a run.")
    rows = []
    for rec in frame.to_dict("records"):
        stages = " ".join(h.badge(s) for s in str(rec["stages"]).split(", ") if s)
        rows.append(
            [h.esc(rec["name"]), h.fmt(rec["versions"]), h.fmt(rec["latest_version"]), stages]
        )
    return h.table(["model", "versions", "latest", "stages"], rows)


def versions_html(data: ModelData) -> str:
    """The versions, newest first, with stage badges and card metrics."""
    if data.versions.empty:
        return h.note(f"Model {data.name!r} has no versions yet.")
    metrics = [c for c in data.versions.columns if c.startswith("metrics.")]
    rows = []
    for rec in data.versions.to_dict("records"):
        stages = " ".join(h.badge(s) for s in str(rec["stages"]).split(", ") if s)
        rows.append(
            [
                f"v{rec['version']}",
                stages,
                h.esc(str(rec["class_name"]).rsplit(".", 1)[-1]),
                f"<code>{h.esc(str(rec['run_id'] or '')[:8])}</code>",
                h.esc(rec["created_at"].strftime("%Y-%m-%d %H:%M")),
                *(h.fmt(rec[c]) for c in metrics),
            ]
        )
    return h.table(["version", "stages", "class", "run", "registered", *metrics], rows)


def card_html(version: registry.ModelVersion | None) -> str:
    """The model card of one version: what it is, the data and code it came from."""
    if version is None:
        return h.note("No version to show.")
    card = version.card
    parts = [version._repr_html_()]
    datasets = card.get("datasets") or []
    if datasets:
        rows = [[h.esc(d["role"]), h.esc(d["ref"]), h.esc(d["digest"][:12])] for d in datasets]
        parts.append(h.section("Data", h.table(["role", "dataset", "digest"], rows)))
    code = card.get("code") or {}
    if code:
        parts.append(h.section("Code", h.mapping_table({k: v for k, v in code.items() if v})))
    if version.description:
        parts.append(f"<p>{h.esc(version.description)}</p>")
    return "".join(parts)


def history_html(events: Sequence[registry.PromotionEvent]) -> str:
    """The promotion audit trail, newest first, with each event's checks."""
    if not events:
        return h.note("No promotion yet.")
    rows = []
    for e in reversed(events):
        was = f"v{e.from_version}" if e.from_version is not None else "none"
        checks = "<br>".join(f"{h.badge(c.status)} {h.esc(c.message)}" for c in e.checks)
        rows.append(
            [
                h.esc(_when(e.created_at)),
                h.badge(e.stage),
                f"{was} → v{e.to_version}",
                h.badge(e.outcome),
                h.esc(e.action),
                h.esc(e.user or ""),
                h.esc(e.reason or ""),
                checks,
            ]
        )
    return h.table(["when", "stage", "move", "outcome", "action", "user", "reason", "checks"], rows)


def model_html(data: ModelData) -> str:
    """The whole model view as static HTML."""
    return (
        h.section("Versions", versions_html(data))
        + h.section(
            f"Model card (v{data.card.version})" if data.card else "Model card",
            card_html(data.card),
        )
        + h.section("Promotion history", history_html(data.events))
    )


class ModelPanel(Panel):
    """One model (``mlops.widgets.model(name)``, ``%mlops model show NAME``) with promote."""

    kind = "model"

    def __init__(self, name: str, *, store: Store | None = None) -> None:
        super().__init__()
        self.name = name
        self.store = store or current_store()
        self.data = model_data(name, store=self.store)
        numbers = [int(v) for v in self.data.versions["version"]] if len(self.data.versions) else []
        self.version = w.Dropdown(options=numbers, description="Version")
        self.versions = w.HTML()
        self.card = w.HTML()
        self.history = w.HTML()
        stages = list(dict.fromkeys(check_stages(None)))
        self.stage = w.Dropdown(options=stages, value=stages[-1], description="To stage")
        self.checks = w.Textarea(
            placeholder="one check per line, e.g. metrics.roc_auc >= production.metrics.roc_auc",
            description="Checks",
            layout=w.Layout(width="70%"),
        )
        self.reason = w.Text(description="Reason")
        self.check_button = button("Check", self.check, tip="Evaluate the checks, change nothing")
        self.promote_button = button("Promote…", self.arm, icon="arrow-up")
        self.confirm_button = button("Confirm", self.confirm)
        self.cancel_button = button("Cancel", self.disarm)
        self.confirm_button.button_style = "danger"
        self.confirm_box = w.HBox([self.confirm_button, self.cancel_button])
        self.confirm_box.layout.display = "none"
        self.before = w.HTML()
        self.after = w.HTML()
        self.refresh_button = button("Refresh", self.refresh, icon="refresh")
        self.version.observe(lambda _c: self._show_card(), names="value")
        promote = w.VBox(
            [
                w.HBox([self.version, self.stage]),
                self.checks,
                self.reason,
                w.HBox([self.check_button, self.promote_button]),
                self.before,
                self.confirm_box,
                self.after,
            ]
        )
        tabs = w.Tab(children=[self.versions, w.VBox([self.card]), self.history, promote])
        for i, title in enumerate(("Versions", "Card", "History", "Promote")):
            tabs.set_title(i, title)
        self.widget.children = [
            w.HBox([w.HTML(f"<b>Model {h.esc(name)}</b>"), self.refresh_button]),
            self.message,
            tabs,
        ]
        self._render()

    # -- promotion -------------------------------------------------------------
    @property
    def check_list(self) -> list[str]:
        """The checks typed in the box, one per line."""
        return [line.strip() for line in self.checks.value.splitlines() if line.strip()]

    def check(self) -> list[GateResult] | None:
        """Evaluate the checks against the chosen version now, without promoting."""
        if self.version.value is None:
            self.before.value = h.error("No version to promote.")
            return None
        try:
            results = preview_checks(
                self.name, self.version.value, self.stage.value, self.check_list, store=self.store
            )
        except MlopsUsageError as exc:
            self.before.value = h.error(str(exc))
            return None
        self.before.value = checks_html(
            results, title=f"Before: v{self.version.value} → {self.stage.value} (dry run)"
        )
        return results

    def arm(self) -> None:
        """First step of promoting: show the checks and ask for confirmation."""
        self.after.value = ""
        if self.check() is None:
            return
        self.confirm_button.description = f"Confirm: v{self.version.value} → {self.stage.value}"
        self.confirm_box.layout.display = "flex"

    def disarm(self) -> None:
        """Cancel the pending promotion."""
        self.confirm_box.layout.display = "none"

    def confirm(self) -> None:
        """Second step: promote (the checks run again, for real) and show their results."""
        self.disarm()
        version, stage = self.version.value, self.stage.value
        try:
            event = registry.promote(
                self.name,
                version,
                to=stage,
                checks=self.check_list,
                reason=self.reason.value or None,
                store=self.store,
            )
        except GateRefused as exc:
            failed = [GateResult.from_dict(c) for c in exc.fields.get("failed", [])]
            self.after.value = checks_html(failed, title="After: refused") + h.error(str(exc))
        except (ConflictError, MlopsUsageError) as exc:
            self.after.value = h.error(str(exc))
        else:
            self.after.value = checks_html(
                event.checks, title=f"After: v{version} now holds {stage}"
            )
        self.refresh()

    # -- view ------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the model again."""
        with self._lock:
            self.data = model_data(self.name, self.version.value, store=self.store)
            self._render()

    def _show_card(self) -> None:
        if self.version.value is not None and (
            self.data.card is None or self.data.card.version != self.version.value
        ):
            self.data.card = registry.get(self.name, self.version.value, store=self.store)
        self.card.value = card_html(self.data.card)

    def _render(self) -> None:
        self.versions.value = versions_html(self.data)
        self.history.value = history_html(self.data.events)
        self._show_card()

    def to_html(self) -> str:
        return h.panel(f"Model {self.name}", model_html(self.data), kind="model")

    def to_text(self) -> str:
        return repr(self.data.versions.set_index("version")) if len(self.data.versions) else ""


class ModelRegistry(Panel):
    """Every registered model (``mlops.widgets.models()``, ``%mlops model list``)."""

    kind = "models"

    def __init__(self, *, store: Store | None = None) -> None:
        super().__init__()
        self.store = store or current_store()
        self.frame = registry.list_models(store=self.store)
        self.table = w.HTML()
        self.pick = w.Dropdown(options=[], description="Open")
        self.detail = w.VBox()
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
        """Read the registry again."""
        with self._lock:
            self.frame = registry.list_models(store=self.store)
            self._render()

    def _render(self) -> None:
        self.table.value = models_html(self.frame)
        self.pick.options = [None, *self.frame["name"]]

    def _open(self) -> None:
        name = self.pick.value
        self.model = ModelPanel(name, store=self.store) if name else None
        self.detail.children = [self.model.widget] if self.model else []

    def to_html(self) -> str:
        return h.panel("Model registry", models_html(self.frame), kind="models")

    def to_text(self) -> str:
        return repr(self.frame.set_index("name")) if len(self.frame) else "No models."


def models(*, store: Store | None = None) -> ModelRegistry:
    """Show the model registry, e.g. ``mlops.widgets.models()``."""
    return ModelRegistry(store=store)


def model(name: str, *, store: Store | None = None) -> ModelPanel:
    """Show one model's versions, card and history, with a two-step promote.

    Raises:
        NotFoundError: no model has that name.
    """
    return ModelPanel(name, store=store)
