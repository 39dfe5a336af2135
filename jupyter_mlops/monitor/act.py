"""Act on what a monitor found: alert (log, webhook) and trigger a pipeline run (retrain).

``mlops.monitor.act(report, name="churn-drift", alert=["log", URL], trigger="pipeline.yaml")``
works in any notebook; a scheduled notebook with a ``monitor`` definition gets the same
treatment from the scheduler after it runs. Outcomes are recorded as tags of the monitor run
(``mlops.monitor``, the decision ``mlops.monitor.drift`` and the threshold it was made by,
``mlops.alert.N``, ``mlops.trigger.*``) and a triggered pipeline run points back at the
monitor run (``pipeline_runs.trigger_run_id``), which lineage follows
(:mod:`jupyter_mlops.lineage.monitors`).
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.monitor.alerts import DEFAULT_TIMEOUT, AlertOutcome, logger, send
from jupyter_mlops.monitor.decision import DECISION_TAG, MONITOR_TAG, THRESHOLD_TAG, decide
from jupyter_mlops.pipelines.loops import off_event_loop
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.store.monitors import set_tags
from jupyter_mlops.tracking.fluent import active_run
from jupyter_mlops.tracking.run import Run

__all__ = ["MONITOR_TAG", "ActResult", "act", "summarize"]


@dataclass
class ActResult:
    """What :func:`act` did: whether drift was found, each alert, and the triggered run."""

    monitor: str
    drift: bool
    summary: dict[str, Any]
    alerts: list[AlertOutcome] = field(default_factory=list)
    pipeline_run_id: str | None = None
    trigger_status: str | None = None
    trigger_error: str | None = None

    @property
    def ok(self) -> bool:
        """True when every alert was delivered and a triggered pipeline did not fail."""
        return all(a.ok for a in self.alerts) and self.trigger_error is None


def _drifted_columns(report: Any, data: Mapping[str, Any]) -> list[str]:
    found = getattr(report, "drifted_columns", None) or data.get("drifted_columns")
    if found is not None:
        return sorted(str(c) for c in found)
    columns = data.get("columns")
    names: list[str] = []
    if isinstance(columns, Mapping):
        items: Iterator[tuple[Any, Any]] = iter(columns.items())
    elif isinstance(columns, Sequence):
        items = ((c.get("column") or c.get("name"), c) for c in columns if isinstance(c, Mapping))
    else:
        return []
    for name, col in items:
        if isinstance(col, Mapping) and (col.get("drift") or col.get("drifted")) is True:
            names.append(str(name))
    return sorted(names)


def summarize(report: Any, *, name: str, run_id: str | None) -> dict[str, Any]:
    """The JSON summary sent by alerts: monitor, run id, verdict, share, drifted columns, time.

    ``report`` is a drift report (``.dataset_drift``, ``.share``, ``.to_dict()``) or a mapping
    with ``dataset_drift`` and ``share``.
    """
    if isinstance(report, Mapping):
        data: Mapping[str, Any] = report
    else:
        to_dict = getattr(report, "to_dict", None)
        data = to_dict() if callable(to_dict) else {}
    dataset_drift = getattr(report, "dataset_drift", None)
    if dataset_drift is None:
        dataset_drift = data.get("dataset_drift")
    share = getattr(report, "share", None)
    if share is None:
        share = data.get("share")
    if dataset_drift is None and share is None:
        raise MlopsUsageError(
            "act() needs a drift report (mlops.monitor.drift(...)) or a mapping with "
            "'dataset_drift' and 'share'."
        )
    return {
        "monitor": name,
        "run_id": run_id,
        "dataset_drift": bool(dataset_drift),
        "share": float(share) if share is not None else None,
        "drifted_columns": _drifted_columns(report, data),
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def _tag(store: Store, run: Run | str | None, tags: dict[str, str]) -> None:
    if isinstance(run, Run) and not run.ended:
        run.set_tags(tags)
        return
    run_id = run.id if isinstance(run, Run) else run
    if run_id is not None:
        set_tags(store, run_id, tags)


def _trigger(spec: str, env: str | None, run_id: str | None, result: ActResult) -> None:
    try:
        run_pipeline: Any = importlib.import_module("jupyter_mlops.pipelines").run_pipeline
    except (ImportError, AttributeError):
        result.trigger_status = "failed"
        result.trigger_error = "the pipelines engine is not available"
        return
    try:
        outcome = off_event_loop(
            lambda: run_pipeline(spec, env=env, trigger="monitor", trigger_run_id=run_id)
        )
    except Exception as exc:  # noqa: BLE001 - a failed retrain is recorded, not raised
        result.trigger_status = "failed"
        result.trigger_error = f"{type(exc).__name__}: {exc}"
        logger.error("monitor %s: triggered pipeline %s failed: %s", result.monitor, spec, exc)
        return
    result.pipeline_run_id = getattr(outcome, "pipeline_run_id", None)
    result.trigger_status = str(getattr(outcome, "status", "ok"))
    if result.trigger_status != "ok":
        result.trigger_error = f"pipeline run {result.pipeline_run_id} {result.trigger_status}"


def act(
    report: Any,
    *,
    name: str,
    alert: Sequence[str] = ("log",),
    trigger: str | None = None,
    trigger_env: str | None = None,
    threshold: float | None = None,
    run: Run | str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    store: Store | None = None,
) -> ActResult:
    """Alert and trigger a retrain when ``report`` shows drift; record what happened.

    Args:
        report: A drift report, or a mapping with ``dataset_drift`` and ``share``.
        name: The monitor's name (tags the run ``mlops.monitor=NAME`` for its history).
        alert: ``"log"`` and/or webhook URLs to POST the summary to.
        trigger: A pipeline spec to run when drift is found (``trigger="monitor"``).
        trigger_env: The environment of the triggered pipeline.
        threshold: Act when the drifted share reaches this, instead of the dataset verdict.
        run: The monitor run (default: the active run).
        timeout: Seconds a webhook may take.
        store: The store (default: the project's).

    Returns:
        What was found and done; a failed alert or retrain is recorded there, never raised.
    """
    if not name or not isinstance(name, str):
        raise MlopsUsageError("Give the monitor a name: act(report, name='churn-drift').")
    if isinstance(alert, str):
        alert = [alert]
    run = run if run is not None else active_run()
    run_id = run.id if isinstance(run, Run) else run
    store = store or (run.store if isinstance(run, Run) else current_store())
    summary = summarize(report, name=name, run_id=run_id)
    drift = decide(summary["dataset_drift"], summary["share"], threshold)
    result = ActResult(monitor=name, drift=bool(drift), summary=summary)
    tags = {MONITOR_TAG: name, DECISION_TAG: str(result.drift).lower()}
    if threshold is not None:
        tags[THRESHOLD_TAG] = repr(float(threshold))
    if result.drift:
        for target in alert:
            result.alerts.append(send(target, summary, timeout=timeout))
        for i, outcome in enumerate(result.alerts):
            tags[f"mlops.alert.{i}"] = (
                f"{outcome.target}: {'ok' if outcome.ok else 'failed'} {outcome.detail}".strip()
            )
        if trigger is not None:
            if not Path(trigger).is_file():
                result.trigger_status = "failed"
                result.trigger_error = f"no pipeline spec {trigger!r}"
            else:
                _trigger(trigger, trigger_env, run_id, result)
            tags["mlops.trigger.status"] = result.trigger_status or ""
            if result.pipeline_run_id:
                tags["mlops.trigger.pipeline_run_id"] = result.pipeline_run_id
            if result.trigger_error:
                tags["mlops.trigger.error"] = result.trigger_error[:500]
    _tag(store, run, tags)
    return result
