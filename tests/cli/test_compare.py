"""``jupyter-mlops compare``: runs side by side for people, the REST API's JSON for scripts."""

from __future__ import annotations

import json


def test_params_then_metrics_with_differences_marked(cli, make_run) -> None:
    a = make_run("a", params={"C": 0.5, "penalty": "l2"}, metrics={"auc": 0.8})
    b = make_run("b", params={"C": 1.0, "penalty": "l2"}, metrics={"auc": 0.9, "f1": 0.7})
    result = cli("compare", "a", b[:8])
    assert result.code == 0, result.err
    params, metrics = result.out.rstrip("\n").split("\n\n")
    assert params.splitlines() == [
        f"param      a ({a[:8]})  b ({b[:8]})",
        "* C        0.5           1.0",
        "  penalty  l2            l2",
    ]
    assert metrics.splitlines() == [
        f"metric  a ({a[:8]})  b ({b[:8]})",
        "  auc            0.8           0.9",
        "  f1                           0.7",
    ]


def test_an_unknown_ref_is_a_warning_and_json_lists_it(cli, make_run) -> None:
    make_run("a")
    make_run("b")
    text = cli("compare", "a", "b", "ghost")
    assert text.code == 0 and text.err.startswith("warning: No run 'ghost'")
    assert "No params logged by these runs." in text.out
    record = json.loads(cli("compare", "a", "b", "ghost", "--format", "json").out)
    assert [run["name"] for run in record["runs"]] == ["a", "b"]
    assert record["missing"] == [text.err.removeprefix("warning: ").rstrip("\n")]


def test_fewer_than_two_runs_is_bad_usage(cli, make_run) -> None:
    make_run("a")
    for refs, message in (
        ((), "Give two runs or more to compare"),
        (("a",), "Give two runs or more to compare"),
        (("a", "ghost"), "Comparing needs two runs or more; found 1."),
    ):
        result = cli("compare", *refs)
        assert result.code == 2 and result.out == ""
        assert message in result.err
