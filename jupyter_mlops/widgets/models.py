"""The model registry: models, versions with stage badges, the model card, the promotion
history, and a promote action that shows each check before and after it runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import ipywidgets as w  # type: ignore[import-untyped]

from jupyter_mlops.errors import ConflictError, GateRefused, MlopsUsageError
from jupyter_mlops.models.records import version_html
from jupyter_mlops.services import models as service
from jupyter_mlops.services import project
from jupyter_mlops.services.project import Store
from jupyter_mlops.services.schema import (
    GateCheck,
    ModelList,
    ModelVersionInfo,
    ModelVersionList,
    PromoteRequest,
    PromotionEventInfo,
    PromotionHistory,
)
from jupyter_mlops.widgets import _html as h
from jupyter_mlops.widgets._base import Directory, Panel, button


def preview_checks(
    name: str,
    version: int,
    to: str,
    checks: Sequence[str],
    *,
    store: Store | None = None,
) -> list[GateCheck]:
    """Evaluate promotion ``checks`` for ``name`` v``version`` -> ``to`` without promoting.

    This is the promotion's dry run (the checks exactly as a promotion evaluates them, read
    now); the panel takes no validation notebook, so none runs. Nothing is written.

    Raises:
        NotFoundError: an unknown model or version.
        MlopsUsageError: an unknown stage, or the version already holds it.
    """
    request = PromoteRequest(version=version, stage=to, checks=list(checks), dry_run=True)
    return service.promote(store or project.store(), name, request).checks


def checks_html(results: Sequence[GateCheck], *, title: str) -> str:
    """One row per check: a badge (passed, failed in red, error) and its message."""
    if not results:
        return h.note(f"{title}: no checks given; the promotion is not gated.")
    rows = [[h.badge(r.status), _check_text(r)] for r in results]
    return f"<p><b>{h.esc(title)}</b></p>" + h.table(["check", "result"], rows)


def _check_text(check: GateCheck) -> str:
    """The expression and the values it compared, rounded for people."""
    if check.error or not check.values:
        return h.esc(check.message)
    values = ", ".join(f"{h.esc(k)} = {_gate_value(v)}" for k, v in check.values.items())
    return f"<code>{h.esc(check.expression)}</code> ({values})"


def _gate_value(value: object) -> str:
    # Tags are strings: a numeric tag is still a number to the person reading the gate.
    if isinstance(value, str):
        try:
            return h.fmt(float(value))
        except ValueError:
            return h.esc(value)
    return h.fmt(value)


@dataclass
class ModelData:
    """One registered model: versions (newest first), a chosen version's card, history."""

    name: str
    versions: ModelVersionList
    card: ModelVersionInfo | None
    events: list[PromotionEventInfo] = field(default_factory=list)


def model_data(name: str, version: int | None = None, *, store: Store | None = None) -> ModelData:
    """Read model ``name``: its versions, the card of ``version`` (default latest), history."""
    store = store or project.store()
    versions = service.list_versions(store, name)
    card = None
    if versions.items:
        wanted = version or versions.items[0].version
        card = next((v for v in versions.items if v.version == wanted), None)
        if card is None:
            card = service.get_version(store, name, wanted)
    return ModelData(name, versions, card, service.promotions(store, name).items)


def _when(ts: float) -> str:
    return h.when(ts)


def models_html(listing: ModelList) -> str:
    """Every registered model, with the stages its versions hold."""
    if not listing.items:
        return h.note("No model is registered yet: %mlops model register NAME after a run.")
    rows = [
        [
            h.esc(m.name),
            h.fmt(m.versions),
            h.fmt(m.latest_version),
            " ".join(h.badge(s) for s in m.stages),
        ]
        for m in listing.items
    ]
    return h.table(["model", "versions", "latest", "stages"], rows)


def versions_html(data: ModelData) -> str:
    """The versions, newest first, with stage badges and card metrics."""
    items = data.versions.items
    if not items:
        return h.note(f"Model {data.name!r} has no versions yet.")
    metrics = sorted({k for v in items for k in v.metrics})
    rows = [
        [
            f"v{v.version}",
            " ".join(h.badge(s) for s in v.stages),
            h.esc(v.class_name.rsplit(".", 1)[-1]),
            f"<code>{h.esc((v.run_id or '')[:8])}</code>",
            h.esc(_when(v.created_at)),
            *(h.fmt(v.metrics.get(k)) for k in metrics),
        ]
        for v in items
    ]
    return h.table(
        ["version", "stages", "class", "run", "registered", *(f"metrics.{k}" for k in metrics)],
        rows,
    )


def card_html(version: ModelVersionInfo | None) -> str:
    """The model card of one version: what it is, the data and code it came from."""
    if version is None:
        return h.note("No version to show.")
    card = version.card
    parts = [version_html(version)]
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


def history_html(events: Sequence[PromotionEventInfo]) -> str:
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


def history_text(history: PromotionHistory) -> str:
    """The promotion audit trail, oldest first, a line per attempt and per check."""
    if not history.items:
        return f"No promotion of {history.name} yet."
    lines = []
    for e in history.items:
        was = f"v{e.from_version}" if e.from_version is not None else "none"
        lines.append(
            f"{_when(e.created_at)} {e.stage}: {was} -> v{e.to_version} {e.outcome} "
            f"({e.action}) by {e.user or '?'}" + (f": {e.reason}" if e.reason else "")
        )
        lines.extend(f"    {'✓' if c.passed else '✗'} {c.message}" for c in e.checks)
    return "\n".join(lines)


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
        self.store = store or project.store()
        self.data = model_data(name, store=self.store)
        numbers = [v.version for v in self.data.versions.items]
        self.version = w.Dropdown(options=numbers, description="Version")
        self.versions = w.HTML()
        self.card = w.HTML()
        self.history = w.HTML()
        stages = service.allowed_stages()
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

    def check(self) -> list[GateCheck] | None:
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
        request = PromoteRequest(
            version=version, stage=stage, checks=self.check_list, reason=self.reason.value or None
        )
        try:
            result = service.promote(self.store, self.name, request)
        except GateRefused as exc:
            body = service.refusal(exc)
            self.after.value = checks_html(body.checks or [], title="After: refused") + h.error(
                body.error
            )
        except (ConflictError, MlopsUsageError) as exc:
            self.after.value = h.error(str(exc))
        else:
            self.after.value = checks_html(
                result.checks, title=f"After: v{version} now holds {stage}"
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
            self.data.card = service.get_version(self.store, self.name, self.version.value)
        self.card.value = card_html(self.data.card)

    def _render(self) -> None:
        self.versions.value = versions_html(self.data)
        self.history.value = history_html(self.data.events)
        self._show_card()

    def to_html(self) -> str:
        return h.panel(f"Model {self.name}", model_html(self.data), kind="model")

    def to_text(self) -> str:
        return "\n".join(
            "  ".join(
                [v.uri, ", ".join(v.stages) or "-"]
                + [f"metrics.{k}={h.fmt(x)}" for k, x in v.metrics.items()]
            )
            for v in self.data.versions.items
        )


class ModelRegistry(Directory[ModelList]):
    """Every registered model (``mlops.widgets.models()``, ``%mlops model list``)."""

    kind = "models"
    title = "Model registry"

    def __init__(self, *, store: Store | None = None) -> None:
        super().__init__(store or project.store())

    @property
    def model(self) -> ModelPanel | None:
        """The model opened below, if any."""
        return self.opened if isinstance(self.opened, ModelPanel) else None

    def read(self) -> ModelList:
        return service.list_models(self.store)

    def names(self) -> list[str]:
        return [m.name for m in self.listing.items]

    def listing_html(self) -> str:
        return models_html(self.listing)

    def open_one(self, name: str) -> Panel:
        return ModelPanel(name, store=self.store)

    def to_text(self) -> str:
        if not self.listing.items:
            return "No models."
        return "\n".join(
            f"{m.name}  {m.versions} version{'s' if m.versions != 1 else ''}  "
            + " ".join(f"{s}=v{v}" for s, v in m.stages.items())
            for m in self.listing.items
        ).rstrip()


def models(*, store: Store | None = None) -> ModelRegistry:
    """Show the model registry, e.g. ``mlops.widgets.models()``."""
    return ModelRegistry(store=store)


def model(name: str, *, store: Store | None = None) -> ModelPanel:
    """Show one model's versions, card and history, with a two-step promote.

    Raises:
        NotFoundError: no model has that name.
    """
    return ModelPanel(name, store=store)
