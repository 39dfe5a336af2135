"""The compare service's data for the lab's compare view: curves of any metric, downsampled
long histories, and every run of a filter laid out by params and metrics."""

from __future__ import annotations

import json
import math
import random

import pytest
from pydantic import ValidationError

import jupyter_mlops as mlops
from jupyter_mlops.errors import FilterSyntaxError, MlopsUsageError
from jupyter_mlops.services.compare import MAX_CURVES, compare, space
from jupyter_mlops.services.downsample import min_max
from jupyter_mlops.services.schema import CompareQuery, SpaceQuery
from jupyter_mlops.store import Store


@pytest.fixture
def backend() -> str:
    # The only SQL here is runs.search's and the metric history's, covered on both backends.
    return "sqlite"


def _run(store: Store, name: str, c: float, steps: int = 3, experiment: str = "cmp") -> str:
    with mlops.start_run(
        name, experiment=experiment, params={"C": c, "k": "rbf"}, store=store
    ) as run:
        for key in [f"m{i}" for i in range(8)]:
            for step in range(steps):
                run.log_metric(key, c * step, step=step)
        run.log_metric("auc", c / 10)
    return run.id


def test_curves_of_any_metric_asked_not_only_the_first_six(store: Store) -> None:
    a, b = _run(store, "a", 1.0), _run(store, "b", 2.0)
    default = compare(store, CompareQuery(run=[a, b]))
    # By default the first six metrics with a history (auc has none): not m6 and m7.
    assert MAX_CURVES == 6
    assert [c.key for c in default.curves] == ["m0", "m1", "m2", "m3", "m4", "m5"]
    assert default.with_history == [f"m{i}" for i in range(8)]

    asked = compare(store, CompareQuery(run=[a, b], curve=["m7", "auc"]))
    assert [c.key for c in asked.curves] == ["m7", "auc"]  # in the order asked
    m7 = asked.curves[0]
    assert [line.values for line in m7.runs] == [[0, 1, 2], [0, 2, 4]]
    assert [line.steps for line in m7.runs] == [[0, 1, 2], [0, 1, 2]]
    assert all(len(line.timestamps) == 3 for line in m7.runs)
    assert m7.logged == [3, 3] and not m7.downsampled

    # How many curves come when none is named: none for a table alone, or the first N.
    assert compare(store, CompareQuery(run=[a, b], curves=0)).curves == []
    one = compare(store, CompareQuery(run=[a, b], curves=1))
    assert [c.key for c in one.curves] == ["m0"]
    assert one.with_history == default.with_history
    # A curve named wins over the count.
    assert [
        c.key for c in compare(store, CompareQuery(run=[a, b], curve=["m7"], curves=0)).curves
    ] == ["m7"]


def test_a_negative_curve_count_is_refused() -> None:
    with pytest.raises(ValidationError, match="curves"):
        CompareQuery(run=["a", "b"], curves=-1)


def test_a_curve_of_an_unlogged_metric_is_refused_in_one_line(store: Store) -> None:
    a, b = _run(store, "a", 1.0), _run(store, "b", 2.0)
    with pytest.raises(MlopsUsageError) as refused:
        compare(store, CompareQuery(run=[a, b], curve=["nope"]))
    message = str(refused.value)
    assert message.startswith("None of these runs logged metric 'nope'; pick one of: auc, m0")
    assert "\n" not in message


def test_fewer_than_two_runs_are_refused(store: Store) -> None:
    a = _run(store, "a", 1.0)
    with pytest.raises(MlopsUsageError, match="Give two runs or more"):
        compare(store, CompareQuery(run=[a]))


def test_long_histories_are_downsampled_keeping_spikes(store: Store) -> None:
    ids = []
    for name in ("long-a", "long-b"):
        with mlops.start_run(name, experiment="long", store=store) as run:
            for step in range(5000):
                value = 100.0 if step == 3333 else math.sin(step / 100)
                run.log_metric("loss", value, step=step)
        ids.append(run.id)
    found = compare(store, CompareQuery(run=ids, curve=["loss"], max_points=500))
    [curve] = found.curves
    assert curve.downsampled and curve.logged == [5000, 5000]
    for line in curve.runs:
        steps = line.steps
        assert len(steps) <= 500 and steps == sorted(steps)
        assert len(line.values) == len(line.timestamps) == len(steps)
        assert steps[0] == 0 and steps[-1] > 4980  # the whole range, not its start
        assert max(line.values) == 100.0  # the spike survives
        assert min(line.values) < -0.99
        # Each kept point is the point logged at its step (value and time kept together).
        assert line.values[steps.index(3333)] == 100.0


def test_min_max_keeps_a_gap_of_nan_and_short_histories_whole() -> None:
    values = [math.nan if 40 <= i < 60 else float(i) for i in range(100)]
    assert min_max(values[:10], 10) == list(range(10))
    kept = min_max(values, 20)
    assert len(kept) <= 20 and kept == sorted(kept)
    assert any(math.isnan(values[i]) for i in kept)
    assert kept[0] == 0 and kept[-1] == 99


def _reference(values: list[float], limit: int) -> list[int]:
    """min_max as first written: each bucket's lowest and highest by a key (NaN never wins
    unless the bucket holds only NaN), the first of equal ones."""
    n = len(values)
    if n <= limit:
        return list(range(n))
    buckets = max(limit // 2, 1)
    kept: list[int] = []
    for b in range(buckets):
        span = range(b * n // buckets, (b + 1) * n // buckets)
        if not span:
            continue
        lo = min(span, key=lambda i: math.inf if math.isnan(values[i]) else values[i])
        hi = max(span, key=lambda i: -math.inf if math.isnan(values[i]) else values[i])
        kept.extend(sorted({lo, hi}))
    return kept


@pytest.mark.parametrize("seed", range(40))
def test_min_max_keeps_the_same_points_with_and_without_nan(seed: int) -> None:
    # The fast way (no NaN in the history) and the slow one choose as the reference does:
    # ties, infinities, a bucket of NaN, more buckets than points.
    rng = random.Random(seed)
    pool = [0.0, -0.0, 1.0, 1.0, -1.0, math.inf, -math.inf, 2.5, math.nan]
    for n in (1, 7, 50, 333):
        values = [rng.choice(pool if seed % 2 else pool[:-1]) for _ in range(n)]
        for limit in (2, 3, 10, 64, 1000):
            assert min_max(values, limit) == _reference(values, limit), (values, limit)


def test_space_lays_out_every_run_of_a_filter(store: Store) -> None:
    for i in range(5):
        _run(store, f"s{i}", float(i + 1), steps=1, experiment="space")
    _run(store, "other", 9.0, steps=1, experiment="elsewhere")
    laid = space(store, SpaceQuery(experiment=["space"], filter="metrics.auc >= 0.2"))
    assert [r.name for r in laid.runs] == ["s4", "s3", "s2", "s1"]  # newest first
    assert laid.total == 4
    c = next(p for p in laid.params if p.key == "C")
    assert c.values == ["5.0", "4.0", "3.0", "2.0"] and c.numeric and c.distinct == 4
    k = next(p for p in laid.params if p.key == "k")
    assert not k.numeric and k.distinct == 1
    auc = next(m for m in laid.metrics if m.key == "auc")
    assert auc.values == [0.5, 0.4, 0.3, 0.2]

    capped = space(store, SpaceQuery(experiment=["space"], limit=2))
    assert len(capped.runs) == 2 and capped.total == 5


def test_space_refuses_a_bad_filter_and_an_unknown_experiment(store: Store) -> None:
    _run(store, "a", 1.0, steps=1)
    with pytest.raises(FilterSyntaxError):
        space(store, SpaceQuery(filter="metrics.auc >"))
    with pytest.raises(MlopsUsageError):
        space(store, SpaceQuery(experiment=["ghost"]))
    assert space(store, SpaceQuery(filter="metrics.auc > 5")).runs == []


def test_a_nan_in_a_curve_reads_as_nan_in_json(store: Store) -> None:
    ids = []
    for name in ("nan-a", "nan-b"):
        with mlops.start_run(name, experiment="nan", store=store) as run:
            for step, value in enumerate([1.0, float("nan"), float("inf"), 0.5]):
                run.log_metric("loss", value, step=step)
        ids.append(run.id)
    found = json.loads(compare(store, CompareQuery(run=ids, curve=["loss"])).model_dump_json())
    line = found["curves"][0]["runs"][0]
    assert line["values"] == [1.0, "NaN", "Infinity", 0.5]
    assert line["steps"] == [0, 1, 2, 3]
