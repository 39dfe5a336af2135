"""Drift tests and their registry.

Every test compares two column summaries and returns a statistic and, for hypothesis tests, a
p-value. The defaults reproduce Evidently's formulas so verdicts carry over:

* ``ks``: ``scipy.stats.ks_2samp`` (exact method up to 10,000 rows, else Smirnov's asymptotic
  distribution on the same D); drift if p <= threshold (0.05).
* ``chisquare``: expected counts are the reference *proportions* times the current count
  (``scipy.stats.chisquare``); drift if p < 0.05. Under ``policy="strict"`` it is the
  two-sample contingency test ``scipy.stats.chi2_contingency`` on the 2 x k table instead.
* ``z``: two-proportion z-test, ``p = 2 * (1 - Phi(|z|))``; drift if p < 0.05.
* ``wasserstein``: ``scipy.stats.wasserstein_distance / max(np.std(reference), 0.001)``;
  drift if >= 0.1.
* ``jensenshannon``: ``scipy.spatial.distance.jensenshannon`` (natural log) of the frequencies
  over the union of categories (numerical with more than 20 distinct reference values: Sturges
  bins over both sets); drift if >= 0.1. ``psi``, ``kl_div`` and ``hellinger`` use the same bins
  (``psi``/``kl_div`` replace empty bins by a small share as Evidently does); under
  ``policy="strict"`` PSI uses ten reference-quantile bins instead.
* ``anderson`` (``scipy.stats.anderson_ksamp``; p-value capped to [0.001, 0.25] by scipy),
  ``cramer_von_mises`` (``scipy.stats.cramervonmises_2samp``), ``energy_distance``
  (``scipy.stats.energy_distance``), ``tvd`` (total variation distance with a permutation
  p-value from 1,000 seeded hypergeometric draws; drift if p < 0.05).

``register(StatTest(...))`` adds a test; ``get(name)`` finds one.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Literal

import numpy as np

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.monitor._distances import (
    aligned_counts,
    binned,
    cdf_stats,
    fill_zero_bins,
    quantile_binned,
    wasserstein1,
)
from jupyter_mlops.monitor._summary import (
    ColumnKind,
    NumSummary,
    Summary,
)


def _scipy_stats() -> ModuleType:
    # start-up: scipy.stats costs ~1 s to import; only the hypothesis tests need it.
    return importlib.import_module("scipy.stats")


Policy = Literal["standard", "strict"]
TestFunc = Callable[[Summary, Summary, str], tuple[float, float | None]]


@dataclass(frozen=True)
class StatTest:
    """A named drift test.

    Attributes:
        name: The registry name (``tests="psi"``).
        func: ``func(reference, current, policy) -> (statistic, p_value or None)``.
        kinds: Column kinds it applies to (``"num"``, ``"cat"``).
        threshold: The default threshold.
        drift_if: How the score compares with the threshold to mean drift: ``"lt"`` or ``"le"``
            for p-values, ``"ge"`` for distances.
    """

    name: str
    func: TestFunc
    kinds: tuple[ColumnKind, ...]
    threshold: float
    drift_if: Literal["lt", "le", "ge"]

    @property
    def uses_p_value(self) -> bool:
        return self.drift_if != "ge"

    def verdict(self, score: float, threshold: float) -> bool:
        """Whether ``score`` means drift at ``threshold``."""
        if self.drift_if == "lt":
            return bool(score < threshold)
        if self.drift_if == "le":
            return bool(score <= threshold)
        return bool(score >= threshold)


_registry: dict[str, StatTest] = {}


def register(test: StatTest) -> StatTest:
    """Add (or replace) a test in the registry; returns it."""
    _registry[test.name] = test
    return test


def get(name: str) -> StatTest:
    """Return the test named ``name``.

    Raises:
        MlopsUsageError: no test has that name (the message lists the valid names).
    """
    try:
        return _registry[name]
    except (KeyError, TypeError):
        valid = ", ".join(sorted(_registry))
        raise MlopsUsageError(f"Unknown drift test {name!r}; valid tests: {valid}.") from None


def names() -> list[str]:
    """The registered test names, sorted."""
    return sorted(_registry)


def _need_num(ref: Summary, cur: Summary) -> tuple[NumSummary, NumSummary]:
    if not isinstance(ref, NumSummary) or not isinstance(cur, NumSummary):
        raise MlopsUsageError("This test applies to numerical columns only.")
    return ref, cur


# -- the tests -------------------------------------------------------------------------------


def _ks(ref: Summary, cur: Summary, policy: str) -> tuple[float, float | None]:
    stats = _scipy_stats()
    r, c = _need_num(ref, cur)
    if r.exact and c.exact and max(r.n, c.n) <= 10_000:
        res = stats.ks_2samp(r.values, c.values)
        return float(res.statistic), float(res.pvalue)
    d = cdf_stats(r, c).ks
    m, n = sorted([float(r.n), float(c.n)], reverse=True)
    en = m * n / (m + n)
    return d, float(np.clip(stats.kstwo.sf(d, np.round(en)), 0.0, 1.0))


def _chisquare(ref: Summary, cur: Summary, policy: str) -> tuple[float, float | None]:
    stats = _scipy_stats()
    _, rc, cc = aligned_counts(ref, cur)
    if len(rc) < 2:
        return 0.0, 1.0
    if policy == "strict":
        res = stats.chi2_contingency(np.vstack((rc, cc)))
        return float(res.statistic), float(res.pvalue)
    expected = rc * (cc.sum() / rc.sum())
    if np.any((expected == 0) & (cc > 0)):
        return float("inf"), 0.0  # a category the reference never saw
    seen = expected > 0
    stat = float(np.sum((cc[seen] - expected[seen]) ** 2 / expected[seen]))
    return stat, float(stats.chi2.sf(stat, len(rc) - 1))


def _z(ref: Summary, cur: Summary, policy: str) -> tuple[float, float | None]:
    stats = _scipy_stats()
    _, rc, cc = aligned_counts(ref, cur)
    if len(rc) < 2:
        return 0.0, 1.0
    n1, n2 = rc.sum(), cc.sum()
    p1, p2 = rc[0] / n1, cc[0] / n2
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    var = pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2)
    if var <= 0:
        return 0.0, 1.0
    z = float((p1 - p2) / np.sqrt(var))
    return z, float(2 * (1 - stats.norm.cdf(abs(z))))


def _wasserstein(ref: Summary, cur: Summary, policy: str) -> tuple[float, float | None]:
    r, c = _need_num(ref, cur)
    return wasserstein1(r, c) / max(r.std, 0.001), None


def _jensenshannon(ref: Summary, cur: Summary, policy: str) -> tuple[float, float | None]:
    rp, cp = binned(ref, cur, fill_zeroes=False)
    # scipy.spatial.distance.jensenshannon, natural log, written out to skip its 0*log0 warning
    p, q = rp / rp.sum(), cp / cp.sum()
    m = (p + q) / 2.0
    js = 0.0
    for a in (p, q):
        keep = a > 0
        js += float(np.sum(a[keep] * np.log(a[keep] / m[keep])))
    return float(np.sqrt(max(js / 2.0, 0.0))), None


def _psi(ref: Summary, cur: Summary, policy: str) -> tuple[float, float | None]:
    if policy == "strict" and isinstance(ref, NumSummary) and isinstance(cur, NumSummary):
        rp, cp = quantile_binned(ref, cur)
        rp, cp = fill_zero_bins(rp), fill_zero_bins(cp)
    else:
        rp, cp = binned(ref, cur, fill_zeroes=True)
    return float(np.sum((rp - cp) * np.log(rp / cp))), None


def _kl_div(ref: Summary, cur: Summary, policy: str) -> tuple[float, float | None]:
    rp, cp = binned(ref, cur, fill_zeroes=True)
    p, q = rp / rp.sum(), cp / cp.sum()
    keep = p > 0
    return float(np.sum(p[keep] * np.log(p[keep] / q[keep]))), None


def _hellinger(ref: Summary, cur: Summary, policy: str) -> tuple[float, float | None]:
    rp, cp = binned(ref, cur, fill_zeroes=False)
    return float(np.sqrt(np.sum((np.sqrt(rp) - np.sqrt(cp)) ** 2)) / np.sqrt(2)), None


def _anderson(ref: Summary, cur: Summary, policy: str) -> tuple[float, float | None]:
    stats = _scipy_stats()
    r, c = _need_num(ref, cur)
    if r.distinct == 1 and c.distinct == 1 and r.values[0] == c.values[0]:
        return 0.0, 1.0
    with warnings.catch_warnings():
        # scipy warns that the p-value is capped to [0.001, 0.25]; the cap is documented.
        warnings.simplefilter("ignore")
        res = stats.anderson_ksamp([r.values, c.values])
    return float(res.statistic), float(res.pvalue)


def _cramer_von_mises(ref: Summary, cur: Summary, policy: str) -> tuple[float, float | None]:
    stats = _scipy_stats()
    r, c = _need_num(ref, cur)
    if r.distinct == 1 and c.distinct == 1 and r.values[0] == c.values[0]:
        return 0.0, 1.0
    res = stats.cramervonmises_2samp(r.values, c.values)
    return float(res.statistic), float(np.clip(res.pvalue, 0.0, 1.0))


def _energy(ref: Summary, cur: Summary, policy: str) -> tuple[float, float | None]:
    r, c = _need_num(ref, cur)
    return float(np.sqrt(2.0) * cdf_stats(r, c).l2), None


def _tvd(ref: Summary, cur: Summary, policy: str) -> tuple[float, float | None]:
    _, rc, cc = aligned_counts(ref, cur)
    n1, n2 = rc.sum(), cc.sum()
    observed = 0.5 * float(np.abs(rc / n1 - cc / n2).sum())
    if len(rc) < 2:
        return observed, 1.0
    pooled = np.rint(rc + cc).astype(np.int64)
    draws = np.random.default_rng(0).multivariate_hypergeometric(pooled, round(n2), size=1000)
    ref_draws = pooled - draws
    perm = 0.5 * np.abs(ref_draws / ref_draws.sum(1, keepdims=True) - draws / n2).sum(1)
    p = (1 + int(np.count_nonzero(perm >= observed - 1e-12))) / (1 + len(perm))
    return observed, float(p)


def missing_share(ref: Summary, cur: Summary) -> tuple[float, float]:
    """Two-proportion z-test on the share of missing (NaN, None, ±inf) values."""
    stats = _scipy_stats()
    n1, n2 = ref.n_total, cur.n_total
    if n1 == 0 or n2 == 0:
        return 0.0, 1.0
    p1, p2 = ref.n_missing / n1, cur.n_missing / n2
    pooled = (ref.n_missing + cur.n_missing) / (n1 + n2)
    var = pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2)
    if var <= 0:
        return 0.0, 1.0
    z = (p1 - p2) / np.sqrt(var)
    return float(z), float(2 * stats.norm.sf(abs(z)))


_BOTH: tuple[ColumnKind, ...] = ("num", "cat")
_NUM: tuple[ColumnKind, ...] = ("num",)
# Chi-square, z and TVD compare counts per value: chosen by name they need categorical columns;
# the default choice still applies them to numerical columns with at most 5 distinct values.
_CAT: tuple[ColumnKind, ...] = ("cat",)

for _test in (
    StatTest("ks", _ks, _NUM, 0.05, "le"),
    StatTest("chisquare", _chisquare, _CAT, 0.05, "lt"),
    StatTest("z", _z, _CAT, 0.05, "lt"),
    StatTest("wasserstein", _wasserstein, _NUM, 0.1, "ge"),
    StatTest("jensenshannon", _jensenshannon, _BOTH, 0.1, "ge"),
    StatTest("psi", _psi, _BOTH, 0.1, "ge"),
    StatTest("kl_div", _kl_div, _BOTH, 0.1, "ge"),
    StatTest("hellinger", _hellinger, _BOTH, 0.1, "ge"),
    StatTest("anderson", _anderson, _NUM, 0.05, "lt"),
    StatTest("cramer_von_mises", _cramer_von_mises, _NUM, 0.05, "le"),
    StatTest("energy_distance", _energy, _NUM, 0.1, "ge"),
    StatTest("tvd", _tvd, _CAT, 0.05, "lt"),
):
    register(_test)

MISSING_SHARE = StatTest("missing_share", lambda r, c, p: missing_share(r, c), _BOTH, 0.05, "lt")


def default_test(ref: Summary, cur: Summary) -> str:
    """Evidently's choice of test from the reference size and the distinct values of both sets."""
    if isinstance(ref, NumSummary) and isinstance(cur, NumSummary):
        if ref.distinct > 5 or cur.distinct > 5:
            n_values = 6
        else:
            n_values = len(set(ref.value_counts()) | set(cur.value_counts()))
        numerical_many = n_values > 5
    else:
        _, rc, _ = aligned_counts(ref, cur)
        n_values = len(rc)
        numerical_many = False
    if ref.n <= 1000:
        if numerical_many:
            return "ks"
        return "chisquare" if n_values > 2 else "z"
    return "wasserstein" if numerical_many else "jensenshannon"
