"""The drift tests: Evidently's choice of test, and each statistic against scipy."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial import distance

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.monitor import StatTest, _distances, drift, get_test, register_test, stattests
from jupyter_mlops.monitor._summary import summarize_cat, summarize_num

RNG = np.random.default_rng(7)


def _floats(n, distinct=None, loc=0.0):
    if distinct is None:
        return RNG.normal(loc, 1.0, n)
    return RNG.integers(0, distinct, n).astype(float) / 2 + loc


SELECTION = [
    # (reference column, current column, expected kind, expected test)
    ("float 1000 rows", _floats(1000), _floats(300), "num", "ks"),
    ("float 1001 rows", _floats(1001), _floats(300), "num", "wasserstein"),
    ("float 3 values", _floats(500, 3), _floats(300, 3), "num", "chisquare"),
    ("float 5 values", _floats(500, 5), _floats(300, 5), "num", "chisquare"),
    ("float 2 values", _floats(500, 2), _floats(300, 2), "num", "z"),
    ("float 6 values", _floats(500, 6), _floats(300, 6), "num", "ks"),
    ("float 5 values large", _floats(2000, 5), _floats(300, 5), "num", "jensenshannon"),
    ("float 2+1 values over both", _floats(500, 2), _floats(300, 3), "num", "chisquare"),
    ("float 5+1 values over both", _floats(500, 5), _floats(300, 6), "num", "ks"),
    ("int 10 values", RNG.integers(0, 10, 2000), RNG.integers(0, 10, 30), "cat", "jensenshannon"),
    ("int 10 values small", RNG.integers(0, 10, 900), RNG.integers(0, 10, 30), "cat", "chisquare"),
    ("int 11 values small", RNG.integers(0, 11, 900), RNG.integers(0, 11, 30), "num", "ks"),
    (
        "int 11 values large",
        RNG.integers(0, 11, 1500),
        RNG.integers(0, 11, 30),
        "num",
        "wasserstein",
    ),
    ("int 2 values", RNG.integers(0, 2, 100), RNG.integers(0, 2, 30), "cat", "z"),
    ("str 3 values", RNG.choice(list("abc"), 500), RNG.choice(list("abc"), 50), "cat", "chisquare"),
    ("str 2 values", RNG.choice(list("ab"), 500), RNG.choice(list("ab"), 50), "cat", "z"),
    (
        "str 2+1 values",
        RNG.choice(list("ab"), 500),
        RNG.choice(list("abc"), 50),
        "cat",
        "chisquare",
    ),
    ("str large", RNG.choice(list("ab"), 1001), RNG.choice(list("ab"), 50), "cat", "jensenshannon"),
    ("bool", RNG.random(200) > 0.5, RNG.random(50) > 0.5, "cat", "z"),
    (
        "1010 rows, 20 NaN",
        np.r_[_floats(990), [np.nan] * 10, [np.inf] * 10],
        _floats(50),
        "num",
        "ks",
    ),
]


@pytest.mark.parametrize(
    ("ref", "cur", "kind", "test"), [s[1:] for s in SELECTION], ids=[s[0] for s in SELECTION]
)
def test_default_test_follows_evidently(ref, cur, kind, test):
    report = drift(pd.DataFrame({"x": ref}), pd.DataFrame({"x": cur}), log=False)

    row = report["x"]
    assert (row.kind, row.test) == (kind, test)


def test_unknown_test_lists_valid_names():
    with pytest.raises(MlopsUsageError) as err:
        get_test("kolmogorov")

    assert str(err.value) == (
        "Unknown drift test 'kolmogorov'; valid tests: anderson, chisquare, cramer_von_mises, "
        "energy_distance, hellinger, jensenshannon, kl_div, ks, psi, tvd, wasserstein, z."
    )


def test_registered_test_is_usable_by_name():
    def mean_gap(ref, cur, policy):
        return abs(float(np.mean(ref.values)) - float(np.mean(cur.values))), None

    register_test(StatTest("mean_gap", mean_gap, ("num",), 0.5, "ge"))
    try:
        frame = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
        report = drift(frame, frame + 1, tests="mean_gap", log=False)
    finally:
        stattests._registry.pop("mean_gap")

    assert (report["x"].statistic, report["x"].drifted) == (1.0, True)


def _num(a):
    return summarize_num(pd.Series(a))


def _cat(a):
    return summarize_cat(pd.Series(a))


@pytest.mark.parametrize(("n1", "n2"), [(50, 80), (1000, 700), (20_000, 15_000)])
def test_ks_matches_scipy(n1, n2):
    a, b = RNG.normal(0, 1, n1), RNG.normal(0.05, 1, n2)

    statistic, p = get_test("ks").func(_num(a), _num(b), "standard")

    expected = stats.ks_2samp(a, b)
    assert statistic == pytest.approx(expected.statistic, abs=1e-12)
    assert p == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)


def test_ks_with_ties_matches_scipy():
    a, b = RNG.integers(0, 7, 20_000).astype(float), RNG.integers(0, 8, 12_000).astype(float)

    statistic, _ = get_test("ks").func(_num(a), _num(b), "standard")

    assert statistic == pytest.approx(stats.ks_2samp(a, b).statistic, abs=1e-12)


@pytest.mark.parametrize(("n1", "n2"), [(100, 100), (1000, 1700), (5000, 333)])
def test_wasserstein_is_scipy_over_reference_std(n1, n2):
    a, b = RNG.normal(0, 2, n1), RNG.normal(0.3, 2, n2)

    statistic, p = get_test("wasserstein").func(_num(a), _num(b), "standard")

    assert p is None
    assert statistic == pytest.approx(stats.wasserstein_distance(a, b) / np.std(a), rel=1e-9)


def test_wasserstein_norm_has_a_floor_for_constant_reference():
    statistic, _ = get_test("wasserstein").func(_num(np.ones(10)), _num(np.ones(10) * 1.01), "")

    assert statistic == pytest.approx(0.01 / 0.001)


def test_energy_distance_matches_scipy():
    a, b = RNG.normal(0, 1, 800), RNG.normal(0.2, 1.5, 500)

    statistic, _ = get_test("energy_distance").func(_num(a), _num(b), "standard")

    assert statistic == pytest.approx(stats.energy_distance(a, b), rel=1e-9)


def test_chisquare_uses_reference_proportions_times_current_count():
    a, b = RNG.choice(list("abcd"), 400, p=[0.4, 0.3, 0.2, 0.1]), RNG.choice(list("abcd"), 250)

    statistic, p = get_test("chisquare").func(_cat(a), _cat(b), "standard")

    ref = pd.Series(a).value_counts().sort_index()
    cur = pd.Series(b).value_counts().sort_index()
    expected = stats.chisquare(cur.to_numpy(), ref.to_numpy() / len(a) * len(b))
    assert (statistic, p) == pytest.approx((expected.statistic, expected.pvalue), rel=1e-9)


def test_chisquare_new_category_is_certain_drift():
    statistic, p = get_test("chisquare").func(_cat(list("aab")), _cat(list("abc")), "standard")

    assert (statistic, p) == (float("inf"), 0.0)


def test_strict_chisquare_is_the_contingency_test():
    a, b = RNG.choice(list("abc"), 300), RNG.choice(list("abcd"), 200)

    statistic, p = get_test("chisquare").func(_cat(a), _cat(b), "strict")

    table = pd.crosstab(np.r_[np.zeros(300), np.ones(200)], np.r_[a, b]).to_numpy()
    expected = stats.chi2_contingency(table)
    assert (statistic, p) == pytest.approx((expected.statistic, expected.pvalue), rel=1e-9)


def test_z_test_matches_the_two_proportion_formula():
    a, b = RNG.random(300) < 0.3, RNG.random(200) < 0.4

    statistic, p = get_test("z").func(_cat(a), _cat(b), "standard")

    p1, p2 = (~a).mean(), (~b).mean()  # the first label, "False"
    pooled = (p1 * 300 + p2 * 200) / 500
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / 300 + 1 / 200))
    assert statistic == pytest.approx(z, rel=1e-12)
    assert p == pytest.approx(2 * (1 - stats.norm.cdf(abs(z))), rel=1e-12)


def test_z_test_on_one_identical_constant_is_no_drift():
    assert get_test("z").func(_cat(["a"] * 5), _cat(["a"] * 9), "standard") == (0.0, 1.0)


def test_jensenshannon_categorical_matches_scipy():
    a, b = RNG.choice(list("abcd"), 3000), RNG.choice(list("abce"), 2000)

    statistic, _ = get_test("jensenshannon").func(_cat(a), _cat(b), "standard")

    keys = sorted(set(a) | set(b))
    pa = pd.Series(a).value_counts().reindex(keys, fill_value=0).to_numpy() / len(a)
    pb = pd.Series(b).value_counts().reindex(keys, fill_value=0).to_numpy() / len(b)
    assert statistic == pytest.approx(distance.jensenshannon(pa, pb), rel=1e-9)


def test_binned_numerical_uses_sturges_bins_over_both_sets():
    a, b = RNG.normal(0, 1, 3000), RNG.normal(0.5, 1, 2000)

    statistic, _ = get_test("jensenshannon").func(_num(a), _num(b), "standard")

    edges = np.histogram_bin_edges(np.r_[a, b], bins="sturges")
    pa, pb = np.histogram(a, edges)[0] / len(a), np.histogram(b, edges)[0] / len(b)
    np.testing.assert_array_equal(_distances.sturges_edges(_num(a), _num(b)), edges)
    assert statistic == pytest.approx(distance.jensenshannon(pa, pb), rel=1e-9)


def _filled(p):
    p = p.copy()
    low = p[p > 0].min()
    p[p == 0] = low / 1e6 if low <= 1e-4 else 1e-4
    return p


def test_psi_kl_hellinger_formulas():
    a, b = RNG.choice(list("abcd"), 3000), RNG.choice(list("abc"), 2000)
    keys = list("abcd")
    pa = pd.Series(a).value_counts().reindex(keys, fill_value=0).to_numpy() / len(a)
    pb = pd.Series(b).value_counts().reindex(keys, fill_value=0).to_numpy() / len(b)
    fa, fb = _filled(pa), _filled(pb)

    psi, _ = get_test("psi").func(_cat(a), _cat(b), "standard")
    kl, _ = get_test("kl_div").func(_cat(a), _cat(b), "standard")
    hel, _ = get_test("hellinger").func(_cat(a), _cat(b), "standard")

    assert psi == pytest.approx(np.sum((fa - fb) * np.log(fa / fb)), rel=1e-9)
    assert kl == pytest.approx(stats.entropy(fa, fb), rel=1e-9)
    assert hel == pytest.approx(np.sqrt(np.sum((np.sqrt(pa) - np.sqrt(pb)) ** 2)) / np.sqrt(2))


def test_strict_psi_bins_at_reference_deciles():
    a, b = RNG.normal(0, 1, 5000), RNG.normal(0, 1, 5000)

    psi, _ = get_test("psi").func(_num(a), _num(b), "strict")

    cuts = np.quantile(a, np.linspace(0.1, 0.9, 9))
    pa = np.bincount(np.searchsorted(cuts, a, side="left"), minlength=10) / len(a)
    pb = np.bincount(np.searchsorted(cuts, b, side="left"), minlength=10) / len(b)
    assert psi == pytest.approx(np.sum((pa - pb) * np.log(pa / pb)), rel=1e-9)


def test_anderson_and_cramer_von_mises_match_scipy():
    a, b = RNG.normal(0, 1, 300), RNG.normal(0.3, 1, 200)

    _, p_ad = get_test("anderson").func(_num(a), _num(b), "standard")
    _, p_cvm = get_test("cramer_von_mises").func(_num(a), _num(b), "standard")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert p_ad == pytest.approx(stats.anderson_ksamp([a, b]).pvalue)
    assert p_cvm == pytest.approx(stats.cramervonmises_2samp(a, b).pvalue)


def test_tvd_statistic_and_permutation_p_value():
    a, b = RNG.choice(list("abc"), 1000), RNG.choice(list("abc"), 1000, p=[0.5, 0.3, 0.2])

    statistic, p = get_test("tvd").func(_cat(a), _cat(b), "standard")
    _, p_same = get_test("tvd").func(_cat(a), _cat(a), "standard")

    pa = pd.Series(a).value_counts(normalize=True).sort_index().to_numpy()
    pb = pd.Series(b).value_counts(normalize=True).sort_index().to_numpy()
    assert statistic == pytest.approx(0.5 * np.abs(pa - pb).sum())
    assert p < 0.01 < 0.5 < p_same


def test_missing_share_z_test():
    ref = _num(np.r_[np.zeros(90), [np.nan] * 10])
    cur = _num(np.r_[np.zeros(70), [np.nan] * 30])

    z, p = stattests.missing_share(ref, cur)

    pooled = 40 / 200
    expected = (0.1 - 0.3) / np.sqrt(pooled * (1 - pooled) * (2 / 100))
    assert z == pytest.approx(expected)
    assert p == pytest.approx(2 * stats.norm.sf(abs(expected)))


@pytest.mark.parametrize("name", stattests.names())
def test_every_test_is_quiet_on_constant_columns(name):
    frame = pd.DataFrame({"x": np.full(30, 2.0), "c": ["k"] * 30})

    report = drift(frame, frame.copy(), tests=name, log=False)

    assert not report.drifted_columns
