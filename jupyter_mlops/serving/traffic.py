"""Reading back what a server logged: ``serving:NAME@STAGE`` as a DataFrame.

The monitor's ``current="serving:churn@production"`` and ``window="24h"`` read here.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.models.uri import check_name, check_stage
from jupyter_mlops.serving.inference_log import (
    LATENCY_MS,
    META_COLUMNS,
    REQUEST_ID,
    TIME,
    VERSION,
)
from jupyter_mlops.store import Store
from jupyter_mlops.store.serving import add_inference_batch, inference_batches

PREFIX = "serving:"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_WINDOW = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")


def parse_window(window: str | float | None) -> float | None:
    """Seconds from ``"24h"``, ``"30m"``, ``"7d"`` or a number of seconds; None: everything."""
    if window is None:
        return None
    if isinstance(window, int | float) and not isinstance(window, bool) and window > 0:
        return float(window)
    match = _WINDOW.match(window) if isinstance(window, str) else None
    if match is None:
        raise MlopsUsageError(
            f"Invalid window {window!r}: give a number with a unit, such as '30m', '24h' or '7d'."
        )
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_source(source: str) -> tuple[str, str | None]:
    """``serving:NAME@STAGE`` (or ``serving:NAME``) into the name and the stage."""
    rest = source[len(PREFIX) :] if source.startswith(PREFIX) else None
    if not rest:
        raise MlopsUsageError(
            f"Invalid source {source!r}: expected serving:NAME@STAGE, such as "
            "'serving:churn@production'."
        )
    name, _, stage = rest.partition("@")
    return check_name(name), check_stage(stage) if stage else None


def logged_traffic(
    store: Store,
    source: str,
    *,
    window: str | float | None = None,
    inputs_only: bool = False,
) -> pd.DataFrame:
    """The rows a server of ``source`` logged within ``window`` of now, oldest first.

    Args:
        source: ``serving:NAME@STAGE`` or ``serving:NAME`` (every stage).
        window: how far back (``"24h"``); None: everything logged.
        inputs_only: drop the log's own columns (request id, time, version, latency,
            prediction), leaving the model's inputs.

    Raises:
        MlopsUsageError: a bad source or window, or nothing logged in the window.
    """
    name, stage = parse_source(source)
    seconds = parse_window(window)
    since = time.time() - seconds if seconds is not None else None
    batches = inference_batches(store, name, stage=stage, since=since)
    frames = [pd.read_parquet(io.BytesIO(store.objects.read_bytes(b.digest))) for b in batches]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if since is not None and len(frame):
        frame = frame[frame[TIME] >= since].reset_index(drop=True)
    if not len(frame):
        within = f" in the last {window}" if window is not None else ""
        raise MlopsUsageError(
            f"No traffic logged for {source}{within}: serve it with "
            f"`jupyter-mlops serve models:/{name}{'@' + stage if stage else ''}` "
            "(inference logging is on by default) and send requests."
        )
    if inputs_only:
        frame = frame.drop(columns=[c for c in META_COLUMNS if c in frame.columns])
    return frame


ROW = "mlops.row"
LABEL = "mlops.label"
LABELLED_AT = "mlops.labelled_at"


def log_labels(store: Store, source: str, labels: Mapping[str, Any] | pd.DataFrame) -> int:
    """Record the outcomes of served requests, which arrive later, by request id.

    Args:
        source: ``serving:NAME@STAGE`` (or ``serving:NAME``).
        labels: ``{request_id: label}`` (the first row of each request), or a DataFrame with
            ``request_id`` and ``label`` columns and, for requests of several rows, ``row``
            (0 for a request's first row).

    Returns:
        The number of labels recorded.

    Raises:
        MlopsUsageError: a bad source, no labels, or a frame without those columns.
    """
    name, stage = parse_source(source)
    if isinstance(labels, pd.DataFrame):
        missing = [c for c in ("request_id", "label") if c not in labels.columns]
        if missing:
            raise MlopsUsageError(
                f"The labels need columns request_id and label (missing: {', '.join(missing)})."
            )
        rows = labels["row"] if "row" in labels.columns else 0
        frame = pd.DataFrame(
            {REQUEST_ID: labels["request_id"].astype(str), ROW: rows, LABEL: labels["label"]}
        )
    else:
        frame = pd.DataFrame(
            {REQUEST_ID: [str(k) for k in labels], ROW: 0, LABEL: list(labels.values())}
        )
    if not len(frame):
        raise MlopsUsageError("No labels given: pass {request_id: label} or a DataFrame.")
    now = time.time()
    frame[LABELLED_AT] = now
    out = io.BytesIO()
    frame.reset_index(drop=True).to_parquet(out, index=False)
    digest = store.objects.put_bytes(out.getvalue()).digest
    add_inference_batch(
        store,
        model_name=name,
        stage=stage,
        server_id="labels",
        digest=digest,
        kind="labels",
        n_rows=len(frame),
        versions="",
        first_time=now,
        last_time=now,
    )
    return len(frame)


def labelled_traffic(
    store: Store, source: str, *, window: str | float | None = None, target: str = "label"
) -> pd.DataFrame:
    """The logged rows of ``source`` that have a label, with it as column ``target``.

    The latest label of a row wins. Pass the result to ``mlops.monitor.performance`` with
    ``target=target``.

    Raises:
        MlopsUsageError: nothing logged, or no logged row has a label yet.
    """
    name, stage = parse_source(source)
    traffic = logged_traffic(store, source, window=window)
    traffic[ROW] = traffic.groupby(REQUEST_ID).cumcount()
    batches = inference_batches(store, name, stage=stage, kind="labels")
    frames = [pd.read_parquet(io.BytesIO(store.objects.read_bytes(b.digest))) for b in batches]
    if frames:
        labels = pd.concat(frames, ignore_index=True).sort_values(LABELLED_AT, kind="stable")
        labels = labels.drop_duplicates([REQUEST_ID, ROW], keep="last")
        traffic = traffic.merge(labels[[REQUEST_ID, ROW, LABEL]], on=[REQUEST_ID, ROW])
    if not frames or not len(traffic):
        raise MlopsUsageError(
            f"No logged request of {source} has a label yet: record outcomes with "
            f"mlops.monitor.log_labels({source!r}, {{request_id: label}})."
        )
    return traffic.drop(columns=[ROW]).rename(columns={LABEL: target})


@dataclass(frozen=True)
class VersionTraffic:
    """What one version answered recently, from the logged batches."""

    version: int
    requests: int
    rows: int
    p50_ms: float
    p99_ms: float
    first_request: float
    last_request: float


#: A summary reads at most this many of the newest batches (a busy server flushes every
#: second): it describes recent traffic, not all of it.
SUMMARY_BATCHES = 200


def traffic_summary(
    store: Store, model_name: str, *, window_s: float = 3600.0
) -> list[VersionTraffic]:
    """Requests, rows, latency and last request per version over the last ``window_s``,
    newest version first (only logged requests count: a sample when sampling)."""
    since = time.time() - window_s
    batches = inference_batches(store, model_name, since=since)[-SUMMARY_BATCHES:]
    columns = [REQUEST_ID, TIME, VERSION, LATENCY_MS]
    tables = [
        pq.read_table(io.BytesIO(store.objects.read_bytes(b.digest)), columns=columns)
        for b in batches
    ]
    if not tables:
        return []
    frame = pa.concat_tables(tables, promote_options="permissive").to_pandas()
    frame = frame[frame[TIME] >= since]
    # One row per request: its rows share the request's id, time, version and latency.
    requests = frame.groupby(REQUEST_ID, sort=False).agg(
        time=(TIME, "first"),
        version=(VERSION, "first"),
        latency=(LATENCY_MS, "first"),
        rows=(TIME, "size"),
    )
    summary = []
    for version, group in requests.groupby("version"):
        latency = group["latency"].to_numpy()
        summary.append(
            VersionTraffic(
                version=int(version),
                requests=len(group),
                rows=int(group["rows"].sum()),
                p50_ms=float(np.percentile(latency, 50)),
                p99_ms=float(np.percentile(latency, 99)),
                first_request=float(group["time"].min()),
                last_request=float(group["time"].max()),
            )
        )
    return sorted(summary, key=lambda t: -t.version)
