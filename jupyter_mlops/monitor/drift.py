"""``drift(reference, current)``: one test per column, a verdict per column and for the set.

Bad input, decided per case:

* empty or non-DataFrame current (or reference) data, an unknown policy, test name or column
  type, a ``columns`` entry the reference lacks → :class:`MlopsUsageError` before any work;
* a column missing from the current data, all-missing in either set, with mismatched dtypes
  (numerical reference, non-numerical current), of an unsupported dtype (datetime), or given a
  test that does not apply to its type → a "not tested" row with the reason; the report goes on.
* constant columns are tested like any other (identical constants never drift).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.monitor import stattests
from jupyter_mlops.monitor._distances import aligned_counts
from jupyter_mlops.monitor._summary import CatSummary, NumSummary, Summary
from jupyter_mlops.monitor.profile import (
    ReferenceProfile,
    check_frame,
    check_kinds,
    summarize_current,
    summarize_reference,
)
from jupyter_mlops.monitor.report import ColumnResult, DriftReport
from jupyter_mlops.tracking.fluent import active_run

if TYPE_CHECKING:
    import pandas as pd

    from jupyter_mlops.store import Store

POLICIES = ("standard", "strict")
_CHART_BINS = 20
_CHART_CATEGORIES = 12


def _chart(ref: Summary, cur: Summary) -> dict[str, Any]:
    """Shares per bin (numerical) or per most frequent category, for the HTML report."""
    if isinstance(ref, NumSummary) and isinstance(cur, NumSummary):
        lo = float(min(ref.values[0], cur.values[0]))
        hi = float(max(ref.values[-1], cur.values[-1]))
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges = np.linspace(lo, hi, _CHART_BINS + 1)
        labels = [f"{e:.4g}" for e in edges[:-1]]
        labels[-1] = f"{edges[-2]:.4g} to {hi:.4g}"
        labels[0] = f"{lo:.4g}"
        return {
            "labels": labels,
            "reference": (ref.histogram(edges) / max(ref.n, 1)).tolist(),
            "current": (cur.histogram(edges) / max(cur.n, 1)).tolist(),
        }
    keys, rc, cc = aligned_counts(ref, cur)
    rp, cp = rc / max(rc.sum(), 1), cc / max(cc.sum(), 1)
    order = np.argsort(-(rp + cp), kind="stable")[:_CHART_CATEGORIES]
    return {
        "labels": [keys[i] for i in order],
        "reference": rp[order].tolist(),
        "current": cp[order].tolist(),
    }


def _run_test(
    name: str,
    kind: str,
    ref: Summary,
    cur: Summary,
    test_name: str | None,
    threshold: float | None,
    policy: str,
) -> ColumnResult:
    base = ColumnResult(
        name,
        kind,
        test_name,
        n_reference=ref.n,
        n_current=cur.n,
        missing_reference=ref.n_missing / ref.n_total if ref.n_total else None,
        missing_current=cur.n_missing / cur.n_total if cur.n_total else None,
    )
    if ref.n == 0 or cur.n == 0:
        which = "reference" if ref.n == 0 else "current"
        base.reason = f"all values are missing in the {which} data"
        return base
    chosen = test_name or stattests.default_test(ref, cur)
    test = stattests.get(chosen)
    base.test = chosen
    if test_name is not None and kind not in test.kinds:
        base.reason = f"{chosen} applies to {'/'.join(test.kinds)} columns; this one is {kind}"
        return base
    limit = test.threshold if threshold is None else threshold
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            statistic, p_value = test.func(ref, cur, policy)
    except (ValueError, ArithmeticError) as exc:
        base.reason = f"{chosen} failed: {exc}"
        return base
    score = p_value if test.uses_p_value and p_value is not None else statistic
    if score is None or np.isnan(score):
        base.reason = f"{chosen} gave no result on these values"
        return base
    base.statistic, base.p_value, base.score = statistic, p_value, score
    base.threshold, base.drifted = limit, test.verdict(score, limit)
    base.chart = _chart(ref, cur)
    return base


def _missing_row(name: str, kind: str, ref: Summary, cur: Summary) -> ColumnResult:
    test = stattests.MISSING_SHARE
    z, p = stattests.missing_share(ref, cur)
    return ColumnResult(
        name,
        kind,
        test.name,
        statistic=z,
        p_value=p,
        score=p,
        threshold=test.threshold,
        drifted=test.verdict(p, test.threshold),
        n_reference=ref.n_total,
        n_current=cur.n_total,
        missing_reference=ref.n_missing / ref.n_total if ref.n_total else None,
        missing_current=cur.n_missing / cur.n_total if cur.n_total else None,
    )


def _check_tests(tests: str | Mapping[str, str] | None, names: list[str]) -> dict[str, str]:
    if tests is None:
        return {}
    if isinstance(tests, str):
        stattests.get(tests)
        return dict.fromkeys(names, tests)
    if not isinstance(tests, Mapping):
        raise MlopsUsageError("tests must be a test name or a {column: test name} dict.")
    unknown = [c for c in tests if c not in names]
    if unknown:
        raise MlopsUsageError(
            f"tests names columns that are not checked: {', '.join(map(str, unknown))}."
        )
    for name in tests.values():
        stattests.get(name)
    return dict(tests)


def _check_thresholds(
    threshold: float | Mapping[str, float] | None, names: list[str]
) -> dict[str, float]:
    if threshold is None:
        return {}
    if isinstance(threshold, Mapping):
        unknown = [c for c in threshold if c not in names]
        if unknown:
            raise MlopsUsageError(
                f"threshold names columns that are not checked: {', '.join(map(str, unknown))}."
            )
        return {c: float(v) for c, v in threshold.items()}
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise MlopsUsageError(f"threshold must be a number or a dict, not {threshold!r}.")
    return dict.fromkeys(names, float(threshold))


def _read_sources(
    reference: pd.DataFrame | ReferenceProfile | str,
    current: pd.DataFrame | str,
    window: str | float | None,
    store: Store | None,
) -> tuple[pd.DataFrame | ReferenceProfile, pd.DataFrame]:
    if isinstance(reference, str) or isinstance(current, str) or window is not None:
        # start-up: logged traffic and training data load pandas, pyarrow and the store.
        from jupyter_mlops.monitor import sources

        return sources.resolve(reference, current, window, store)
    return reference, current


def drift(
    reference: pd.DataFrame | ReferenceProfile | str,
    current: pd.DataFrame | str,
    *,
    window: str | float | None = None,
    columns: list[str] | None = None,
    column_types: dict[str, str] | None = None,
    tests: str | Mapping[str, str] | None = None,
    threshold: float | Mapping[str, float] | None = None,
    drift_share: float = 0.5,
    policy: str = "standard",
    log: bool = True,
    workers: int | None = None,
    store: Store | None = None,
) -> DriftReport:
    """Compare each column of ``current`` with ``reference`` and judge drift.

    Tests are chosen per column as Evidently does (see :mod:`jupyter_mlops.monitor.stattests`)
    unless ``tests`` names one. Inside a tracked run the report is logged as metrics
    (``drift.share``, ``drift.dataset_drift``, ``drift.<column>.score``) and the artifact
    ``drift/report.html``.

    Args:
        reference: The reference DataFrame, or a :class:`ReferenceProfile` of it; or
            ``"training"``: the dataset version the model serving ``current`` was trained on.
        current: The current batch; or ``"serving:NAME@STAGE"``: the inputs a model server
            logged (``jupyter-mlops serve``).
        window: With a ``serving:`` current, how far back to read (``"24h"``, ``"30m"``).
        columns: Columns to check (default: every reference column).
        column_types: Column → ``"numerical"``/``"categorical"``, overriding inference
            (with a profile, types were fixed when it was made).
        tests: One test name for every column, or ``{column: test name}``.
        threshold: One threshold for every column, or ``{column: threshold}``; default: the
            test's own.
        drift_share: The data set drifts when at least this share of tested columns drift.
        policy: ``"standard"`` (Evidently's formulas) or ``"strict"`` (two-sample chi-square,
            PSI on reference-quantile bins, plus a missing-share test per column).
        log: Log into the active run, if any.
        workers: Threads scoring columns in parallel (default: up to 4, one per CPU).
        store: The store ``serving:`` and ``"training"`` read (default: the project's).

    Returns:
        The report.

    Raises:
        MlopsUsageError: empty frames, unknown columns, tests, types or policy.
    """
    reference, current = _read_sources(reference, current, window, store)
    if policy not in POLICIES:
        raise MlopsUsageError(f"Unknown policy {policy!r}; valid policies: {', '.join(POLICIES)}.")
    if isinstance(drift_share, bool) or not 0 < float(drift_share) <= 1:
        raise MlopsUsageError(f"drift_share must be in (0, 1], not {drift_share!r}.")
    check_frame(current, "current")
    if isinstance(reference, ReferenceProfile):
        names = reference.names if columns is None else list(columns)
        unknown = [c for c in names if c not in reference.columns and c not in reference.skipped]
        if unknown:
            raise MlopsUsageError(
                f"Columns not in the reference profile: {', '.join(map(str, unknown))}."
            )
        if column_types:
            raise MlopsUsageError("column_types cannot change a profile; set them in profile().")
        kinds: dict[str, Any] = {}
        n_reference = reference.n_rows
    else:
        check_frame(reference, "reference")
        names = list(reference.columns) if columns is None else list(columns)
        unknown = [c for c in names if c not in reference.columns]
        if unknown:
            raise MlopsUsageError(
                f"Columns not in the reference data: {', '.join(map(str, unknown))}."
            )
        kinds = check_kinds(column_types, names)
        n_reference = len(reference)
    chosen = _check_tests(tests, names)
    limits = _check_thresholds(threshold, names)

    def score(name: str) -> list[ColumnResult]:
        if isinstance(reference, ReferenceProfile):
            ref: Summary | None = reference.columns.get(name)
            reason = reference.skipped.get(name)
        else:
            ref, reason = summarize_reference(reference[name], kinds.get(name), sketch=None)
        if ref is None:
            return [ColumnResult(str(name), None, chosen.get(name), reason=reason)]
        kind = "cat" if isinstance(ref, CatSummary) else "num"
        if name not in current.columns:
            return [
                ColumnResult(
                    str(name), kind, chosen.get(name), reason="missing from the current data"
                )
            ]
        cur, reason = summarize_current(current[name], ref)
        if cur is None:
            return [ColumnResult(str(name), kind, chosen.get(name), reason=reason)]
        rows = [_run_test(str(name), kind, ref, cur, chosen.get(name), limits.get(name), policy)]
        if policy == "strict":
            rows.append(_missing_row(str(name), kind, ref, cur))
        return rows

    n_workers = workers or min(4, os.cpu_count() or 1)
    if n_workers > 1 and len(names) > 1:
        with ThreadPoolExecutor(n_workers, thread_name_prefix="mlops-drift") as pool:
            parts = list(pool.map(score, names))
    else:
        parts = [score(name) for name in names]
    report = DriftReport(
        [row for part in parts for row in part],
        float(drift_share),
        policy,
        n_reference,
        len(current),
    )
    if log:
        run = active_run()
        if run is not None:
            report.log(run)
    return report
