"""Alerts: a log line or a webhook POST carrying a monitor's summary.

An alert never raises: a refused connection, a timeout or an HTTP error comes back as an
:class:`AlertOutcome` with ``ok=False`` and is logged, so a broken webhook cannot fail the run.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger("jupyter_mlops.monitor")

DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True)
class AlertOutcome:
    """What happened to one alert: ``target`` is ``log`` or the webhook URL."""

    target: str
    ok: bool
    detail: str = ""


def log_alert(summary: dict[str, Any]) -> AlertOutcome:
    """Log a warning line for ``summary`` on the ``jupyter_mlops.monitor`` logger."""
    columns = ", ".join(summary.get("drifted_columns") or []) or "none listed"
    logger.warning(
        "monitor %s: drift found in run %s (share %.3f; columns: %s)",
        summary.get("monitor"),
        summary.get("run_id"),
        float(summary.get("share") or 0.0),
        columns,
    )
    return AlertOutcome("log", True)


def post_webhook(
    url: str, summary: dict[str, Any], *, timeout: float = DEFAULT_TIMEOUT
) -> AlertOutcome:
    """POST ``summary`` as JSON to ``url``; failures are logged and returned, not raised."""
    if not url.startswith(("http://", "https://")):
        return AlertOutcome(url, False, "not an http(s) URL")
    body = json.dumps(summary, sort_keys=True, default=str).encode()
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        detail = f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        detail = f"{type(reason).__name__}: {reason}"
    else:
        if 200 <= status < 300:
            return AlertOutcome(url, True, f"HTTP {status}")
        detail = f"HTTP {status}"
    logger.error("monitor %s: webhook %s failed: %s", summary.get("monitor"), url, detail)
    return AlertOutcome(url, False, detail)


def send(target: str, summary: dict[str, Any], *, timeout: float = DEFAULT_TIMEOUT) -> AlertOutcome:
    """Send one alert: ``"log"`` or a webhook URL."""
    if target == "log":
        return log_alert(summary)
    return post_webhook(target, summary, timeout=timeout)
