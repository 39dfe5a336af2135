"""Thinning a long metric history for a chart: the lowest and highest point of each step bucket.

Min-max per bucket keeps every spike and dip a reader would look for (an average or every
n-th point would hide them) in linear time; a chart of 10,000 points per run is drawn from
at most ``limit`` of them, and the curve looks the same at a chart's width.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from jupyter_mlops.store.records import MetricPoint


def _low(point: MetricPoint) -> float:
    return point.value if not math.isnan(point.value) else math.inf


def _high(point: MetricPoint) -> float:
    return point.value if not math.isnan(point.value) else -math.inf


def min_max(points: Sequence[MetricPoint], limit: int) -> list[MetricPoint]:
    """At most ``limit`` of ``points`` (in order): each of ``limit // 2`` buckets' extremes.

    A bucket holding only NaN keeps its first point, so the chart still shows the gap.
    """
    n = len(points)
    if n <= limit:
        return list(points)
    buckets = max(limit // 2, 1)
    kept: list[MetricPoint] = []
    for b in range(buckets):
        chunk = points[b * n // buckets : (b + 1) * n // buckets]
        if not chunk:
            continue
        lo = min(range(len(chunk)), key=lambda i: _low(chunk[i]))
        hi = max(range(len(chunk)), key=lambda i: _high(chunk[i]))
        for i in sorted({lo, hi}):
            kept.append(chunk[i])
    return kept
