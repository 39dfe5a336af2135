"""``jupyter-mlops diff A B``: why did the metric move, for people and (``--json``) for scripts."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest

import jupyter_mlops as mlops
from jupyter_mlops.store import Store
from jupyter_mlops.store import runs as q


def _train(store: Store, project: Path, name: str, *, c: float, rows: int, auc: float) -> str:
    """A run fitted on ``rows`` rows of churn.csv (a new dataset version when rows change)."""
    pd.DataFrame({"tenure": range(rows), "churned": [i % 2 for i in range(rows)]}).to_csv(
        project / "churn.csv", index=False
    )
    with mlops.start_run(
        name, experiment="churn", params={"C": c, "penalty": "l2"}, store=store
    ) as run:
        run.log_dataset(project / "churn.csv", "churn", role="training")
        run.log_metric("auc", auc)
        run.log_metric("loss", 0.3)
        for i, source in enumerate(["import numpy as np", f"C = {c}", "fit(C)"], start=1):
            run.log_cell(source, execution_count=i, started=time.time(), duration=0.1, status="ok")
    return run.id


def test_the_text_names_what_moved_and_why(cli, store, project) -> None:
    a = _train(store, project, "base", c=0.5, rows=10, auc=0.91)
    b = _train(store, project, "tuned", c=1.0, rows=12, auc=0.87)
    result = cli("diff", "base", b[:8])
    assert result.code == 0, result.err
    sections = result.out.rstrip("\n").split("\n\n")
    assert sections[0] == f"a: base ({a[:8]})  [finished]\nb: tuned ({b[:8]})  [finished]"
    assert sections[1] == (
        "auc 0.91→0.87 (-4.4%): 1 param changed (C 0.5→1.0), dataset churn v1→v2, 1 cell edited"
    )
    assert sections[2].splitlines() == [
        "metric     a     b  delta  change",
        "auc     0.91  0.87  -0.04   -4.4%",
        "loss     0.3   0.3      0   +0.0%",
    ]
    assert sections[3].splitlines() == [
        "param  change   a    b",
        "C      changed  0.5  1.0",
    ]
    assert sections[4].splitlines()[1] == (
        "churn (input, training)  changed  dataset:churn@1  dataset:churn@2"
    )
    profile = sections[5]
    assert profile.startswith("churn@1 → churn@2: content changed")
    assert "rows: 10 → 12 (+2)" in profile
    assert "tenure: max 9 → 11" in profile
    assert sections[6] == "Environment: the same (Python, packages, git)."
    assert sections[7].splitlines() == [
        "Code (tracked cells): 1 edited, 0 added, 0 removed, 2 unchanged",
        "  = cell 1 (a) and cell 1 (b) unchanged",
        "  ~ cell 2 (a) -> cell 2 (b) edited",
        "      --- a/cell 2",
        "      +++ b/cell 2",
        "      @@ -1 +1 @@",
        "      -C = 0.5",
        "      +C = 1.0",
        "  = cell 3 (a) and cell 3 (b) unchanged",
    ]


def test_json_is_the_rest_record_with_or_without_the_short_flag(cli, store, project) -> None:
    _train(store, project, "base", c=0.5, rows=10, auc=0.91)
    _train(store, project, "tuned", c=1.0, rows=12, auc=0.87)
    short = json.loads(cli("diff", "base", "tuned", "--json").out)
    long = json.loads(cli("diff", "base", "tuned", "--format", "json").out)
    assert short == long
    assert short["metrics"][0] == {
        "key": "auc",
        "a": 0.91,
        "b": 0.87,
        "delta": pytest.approx(-0.04),
        "relative": pytest.approx(-0.04 / 0.91),
    }
    [churn] = short["datasets"]
    assert churn["diff"]["rows"] == [10, 12] and churn["diff"]["profile"]["tenure"]["max"] == [
        9,
        11,
    ]
    assert short["code"]["source"] == "run_cells"


def test_the_session_log_is_diffed_when_both_runs_have_one(cli, store) -> None:
    def run_with_log(name: str, sources: list[str], truncated: bool) -> None:
        log = {
            "version": 1,
            "truncated": truncated,
            "cells": [
                {"execution_count": i, "source": s, "digest": "", "started": 0.0, "status": "ok"}
                for i, s in enumerate(sources, start=1)
            ],
        }
        with mlops.start_run(name, store=store) as run:
            run.log_cell(
                sources[-1], execution_count=9, started=time.time(), duration=0.1, status="ok"
            )
            run.log_artifact(json.dumps(log).encode(), "mlops/session_cells.json")

    run_with_log("a", ["x = 1", "y = x", "fit(y)"], False)
    run_with_log("b", ["x = 2", "y = x", "fit(y)"], True)
    record = json.loads(cli("diff", "a", "b", "--json").out)
    code = record["code"]
    assert (code["source"], code["truncated"], code["edited"], code["unchanged"]) == (
        "session",
        True,
        1,
        2,
    )
    assert code["blocks"][0]["diff"][-2:] == ["-x = 1", "+x = 2"]
    assert record["headline"] == "1 cell edited"  # no metric logged, nothing else differs


def test_without_a_log_in_both_runs_the_tracked_cells_are_diffed(cli, store) -> None:
    with mlops.start_run("logged", store=store) as run:
        run.log_cell("fit()", execution_count=1, started=time.time(), duration=0.1, status="ok")
        run.log_artifact(b'{"version": 1, "cells": []}', "mlops/session_cells.json")
    with mlops.start_run("plain", store=store) as run:
        run.log_cell("fit()", execution_count=1, started=time.time(), duration=0.1, status="ok")
    record = json.loads(cli("diff", "logged", "plain", "--json").out)
    assert (record["code"]["source"], record["code"]["unchanged"]) == ("run_cells", 1)


def _insert(store: Store, run_id: str, name: str) -> None:
    now = time.time()
    with store.write() as conn:
        q.insert_run(
            conn,
            {
                "id": run_id,
                "name": name,
                "experiment_id": q.get_or_create_experiment(conn, "e"),
                "status": "finished",
                "start_time": now,
                "end_time": now + 1,
                "heartbeat": now + 1,
            },
        )


@pytest.mark.parametrize(
    ("refs", "message"),
    [
        (("first", "ghost"), "No run 'ghost': use a run id, a short id of 4+ characters"),
        (("first", "first"), "The runs are the same run (first (abcd0000)); give two different"),
        (("first", "abcd0000"), "The runs are the same run (first (abcd0000))"),
        (("abcd", "first"), "Run id prefix 'abcd' is ambiguous; give more characters."),
        (("first",), "the following arguments are required: B"),
    ],
)
def test_bad_refs_are_one_line_usage_errors(cli, store, refs, message) -> None:
    _insert(store, "abcd" + "0" * 28, "first")
    _insert(store, "abcd" + "1" * 28, "second")
    result = cli("diff", *refs)
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith("jupyter-mlops: error: ") and message in result.err
    assert result.err.count("\n") == 1


def test_the_python_api_takes_runs_or_refs(store, project) -> None:
    a = _train(store, project, "base", c=0.5, rows=10, auc=0.91)
    _train(store, project, "tuned", c=0.5, rows=10, auc=0.91)
    found = mlops.diff(mlops.get_run(a, store=store), "tuned", store=store)
    assert found.headline == (
        "metrics unchanged: nothing recorded differs (params, data, code, environment)"
    )
    assert [d.change for d in found.datasets] == ["same"] and found.datasets[0].diff is None
    with pytest.raises(mlops.MlopsUsageError, match="not 5"):
        mlops.diff(5, "tuned", store=store)  # type: ignore[arg-type]
