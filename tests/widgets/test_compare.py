"""Comparing runs: differences highlighted, metrics, curves, parallel coordinates."""

from __future__ import annotations

from collections.abc import Callable

import jupyter_mlops as mlops
from jupyter_mlops.widgets.compare import params_html, read


def test_two_runs_side_by_side(make_run: Callable[..., str]) -> None:
    a = make_run("alpha", params={"C": 0.5, "penalty": "l2"}, curve={"loss": [0.9, 0.4]})
    b = make_run("beta", params={"C": 1.0, "penalty": "l2"}, curve={"loss": [0.8, 0.6]})
    panel = mlops.widgets.compare(a, b)
    params = panel.params.value
    assert '<tr class="diff"><td>C</td><td>0.5</td><td>1.0</td></tr>' in params
    assert "<tr><td>penalty</td><td>l2</td><td>l2</td></tr>" in params
    panel.only_differences.value = True
    assert "penalty" not in panel.params.value
    assert "<b>0.6</b>" in panel.metrics.value  # the higher latest loss is marked
    assert 'alt="loss by step"' in panel.curves.value
    assert "Parallel coordinates" not in panel.to_html()  # two runs: not drawn


def test_parallel_coordinates_for_three_runs(make_run: Callable[..., str]) -> None:
    ids = [make_run(f"r{c}", params={"C": c}, metrics={"auc": c / 10}) for c in (1, 2, 3)]
    panel = mlops.widgets.compare(*ids, metric="auc")
    assert 'alt="params to auc"' in panel.parallel.value
    assert 'alt="params to auc"' in panel.to_html()


def test_unknown_ids_are_named_and_the_rest_compared(make_run: Callable[..., str]) -> None:
    a = make_run("alpha", params={"C": 1})
    b = make_run("beta", params={"C": 2})
    panel = mlops.widgets.compare(a, b, "ghost")
    assert "No run 'ghost'" in panel.message.value
    assert "<td>C</td>" in panel.params.value
    lone = mlops.widgets.compare("ghost", a)
    assert "found 1" in lone.message.value


def test_runs_without_metrics_or_params(make_run: Callable[..., str]) -> None:
    panel = mlops.widgets.compare(make_run("a"), make_run("b"))
    assert "None of these runs logged metrics." in panel.metrics.value
    assert "None of these runs logged params." in panel.params.value


def test_thousands_of_params(make_run: Callable[..., str]) -> None:
    a = make_run("a", params={f"p{i}": i for i in range(1000)})
    b = make_run("b", params={f"p{i}": i + 1 for i in range(1000)})
    assert "800 more params not shown" in params_html(read([a, b])[0])


def test_scatter_and_parallel_cover_every_run_of_the_experiment(
    make_run: Callable[..., str],
) -> None:
    ids = [make_run(f"s{c}", params={"C": c}, metrics={"auc": c / 10}) for c in (1, 2, 3, 4)]
    panel = mlops.widgets.compare(ids[0], ids[1], metric="auc")  # two compared, four laid out
    assert len(panel.space.runs) == 4
    assert 'alt="auc by C"' in panel.scatter.value
    assert panel.scatter.value.count("<tr>") >= 4  # one row per run (and the header)
    assert 'alt="params to auc"' in panel.parallel.value
    narrowed = mlops.widgets.compare(ids[0], ids[1], metric="auc", filter="metrics.auc > 0.25")
    assert [r.name for r in narrowed.space.runs] == ["s4", "s3"]
    bad = mlops.widgets.compare(ids[0], ids[1], filter="metrics.auc >")
    assert "Invalid filter" in bad.message.value
