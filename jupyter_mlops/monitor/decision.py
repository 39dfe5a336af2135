"""A monitor's decision: drift or not, by its threshold or else the report's own verdict.

:func:`decide` is the one rule: :func:`~jupyter_mlops.monitor.act.act` decides with it (and
records its decision and threshold as tags of the monitor run), and a monitor's history
reads the recorded decision back, deciding with the same rule only for runs that recorded
none. So the history, the CLI, the REST API and the JupyterLab Monitors tab show what the
monitor did — alerted and retrained or not — never a second opinion.
"""

from __future__ import annotations

from typing import Literal

#: The tag naming the monitor a run belongs to.
MONITOR_TAG = "mlops.monitor"
#: The tag holding the monitor's decision (``true``/``false``) for that run.
DECISION_TAG = "mlops.monitor.drift"
#: The tag holding the drift-share threshold the decision was made by, if any.
THRESHOLD_TAG = "mlops.monitor.threshold"
#: The metrics a monitoring notebook logs (``mlops.monitor.drift`` logs both).
SHARE = "drift.share"
VERDICT = "drift.dataset_drift"

Verdict = Literal["drift", "no_drift", "unknown"]


def decide(dataset_drift: bool | None, share: float | None, threshold: float | None) -> bool | None:
    """Whether the monitor acts: share >= threshold when it has one, else the report's verdict.

    None when that cannot be said (a threshold but no share, or no verdict at all).
    """
    if threshold is not None:
        return None if share is None else share >= threshold
    return dataset_drift


def verdict(decision: bool | None) -> Verdict:
    """The decision as the records show it."""
    if decision is None:
        return "unknown"
    return "drift" if decision else "no_drift"


def recorded(tags: dict[str, str]) -> tuple[bool | None, float | None]:
    """The decision and threshold :func:`~jupyter_mlops.monitor.act.act` recorded in ``tags``."""
    raw = tags.get(DECISION_TAG)
    decision = None if raw is None else raw.strip().lower() == "true"
    try:
        threshold = float(tags[THRESHOLD_TAG]) if THRESHOLD_TAG in tags else None
    except ValueError:
        threshold = None
    return decision, threshold
