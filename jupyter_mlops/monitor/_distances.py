"""Building blocks shared by the drift tests: aligned counts, Evidently's bins, CDF distances."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.monitor._summary import CatSummary, FloatArray, NumSummary, Summary


def aligned_counts(ref: Summary, cur: Summary) -> tuple[list[str], FloatArray, FloatArray]:
    """Counts of both sets over the union of their values (categories or distinct numbers)."""
    a: dict[str, float]
    b: dict[str, float]
    if isinstance(ref, CatSummary) and isinstance(cur, CatSummary):
        a = {k: float(v) for k, v in ref.as_dict().items()}
        b = {k: float(v) for k, v in cur.as_dict().items()}
    elif isinstance(ref, NumSummary) and isinstance(cur, NumSummary):
        a = {repr(k): v for k, v in ref.value_counts().items()}
        b = {repr(k): v for k, v in cur.value_counts().items()}
    else:
        raise MlopsUsageError("Cannot compare a numerical column with a categorical one.")
    keys = sorted(set(a) | set(b))
    ra = np.array([a.get(k, 0) for k in keys], dtype=np.float64)
    ca = np.array([b.get(k, 0) for k in keys], dtype=np.float64)
    return keys, ra, ca


def sturges_edges(ref: NumSummary, cur: NumSummary) -> FloatArray:
    """``np.histogram_bin_edges(concat(ref, cur), bins="sturges")`` without the concat."""
    first = float(min(ref.values[0], cur.values[0]))
    last = float(max(ref.values[-1], cur.values[-1]))
    width = (last - first) / (np.log2(ref.n + cur.n) + 1.0)
    if first == last:
        first, last = first - 0.5, last + 0.5
    n_bins = int(np.ceil((last - first) / width)) if width else 1
    return np.linspace(first, last, n_bins + 1)


def fill_zero_bins(pct: FloatArray) -> FloatArray:
    nonzero = pct[pct != 0]
    if len(nonzero) == 0:
        return pct
    low = float(nonzero.min())
    pct = pct.copy()
    np.place(pct, pct == 0, low / 10**6 if low <= 0.0001 else 0.0001)
    return pct


def binned(ref: Summary, cur: Summary, *, fill_zeroes: bool) -> tuple[FloatArray, FloatArray]:
    """Evidently's ``get_binned_data``: shares per Sturges bin or per category."""
    if isinstance(ref, NumSummary) and isinstance(cur, NumSummary) and ref.distinct > 20:
        edges = sturges_edges(ref, cur)
        rp = ref.histogram(edges) / ref.n
        cp = cur.histogram(edges) / cur.n
    else:
        _, rc, cc = aligned_counts(ref, cur)
        rp, cp = rc / ref.n, cc / cur.n
    if fill_zeroes:
        rp, cp = fill_zero_bins(rp), fill_zero_bins(cp)
    return rp, cp


def quantile_binned(ref: NumSummary, cur: NumSummary, bins: int = 10) -> tuple[FloatArray, ...]:
    """Shares in ``bins`` bins cut at the reference quantiles (ties merge bins)."""
    qs = np.quantile(ref.values, np.linspace(0, 1, bins + 1)[1:-1])
    inner = np.unique(qs)
    rp = np.diff(
        np.searchsorted(ref.values, inner, side="right"), prepend=0, append=len(ref.values)
    )
    cp = np.diff(
        np.searchsorted(cur.values, inner, side="right"), prepend=0, append=len(cur.values)
    )
    return rp / len(ref.values), cp / len(cur.values)


@dataclass(frozen=True)
class CdfStats:
    """Distances between two empirical CDFs."""

    ks: float
    wasserstein: float
    l2: float


def cdf_stats(ref: NumSummary, cur: NumSummary) -> CdfStats:
    """KS D, Wasserstein-1 and the L2 CDF distance from one merge of two sorted arrays.

    A stable argsort of the two sorted runs is a linear merge; the running count of values
    from each side is then each ECDF, with no binary search per point (scipy searches).
    """
    u, v = ref.values, cur.values
    n, m = len(u), len(v)
    both = np.concatenate((u, v))
    order = both.argsort(kind="stable")
    merged = both[order]
    del both
    from_v = order >= n
    del order
    # Counts as float64 are exact below 2**53 and let every step work in place (peak memory).
    cum_v = np.cumsum(from_v, dtype=np.float64)
    del from_v
    diff = np.arange(1, n + m + 1, dtype=np.float64)
    diff -= cum_v
    diff /= n  # the reference ECDF
    cum_v /= m  # the current ECDF
    diff -= cum_v
    del cum_v
    np.abs(diff, out=diff)
    deltas = np.diff(merged)
    del merged
    diff = diff[:-1]
    # Within ties the running counts are partial; only the last of a tie group (delta > 0) and
    # the end (where both ECDFs are 1) are true ECDF points. Ties have zero width in integrals.
    ks = float(np.max(diff, where=deltas > 0, initial=0.0))
    w1 = float(np.dot(diff, deltas))
    np.square(diff, out=diff)
    l2 = float(np.sqrt(np.dot(diff, deltas)))
    return CdfStats(ks, w1, l2)


def wasserstein1(ref: NumSummary, cur: NumSummary) -> float:
    """Wasserstein-1 distance, in the quantile form ``integral |F^-1(q) - G^-1(q)| dq``.

    Equal sizes pair order statistics exactly. Against a sketched reference (already an
    approximation) each current order statistic pairs with the sketch's quantile at the same
    level, which skips the merge; otherwise the exact CDF form.
    """
    u, v = ref.values, cur.values
    if len(u) == len(v):
        return float(np.mean(np.abs(u - v)))
    if not ref.exact and len(v) > len(u):
        levels = (np.arange(len(v)) + 0.5) * (len(u) / len(v))
        paired = u[levels.astype(np.int64)]
        paired -= v
        return float(np.mean(np.abs(paired, out=paired)))
    return cdf_stats(ref, cur).wasserstein
