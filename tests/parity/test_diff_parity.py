"""Diffing two runs: the same diff from the Python API, ``%mlops diff``, the CLI and REST."""

from __future__ import annotations

import json
import time

import pandas as pd
import pytest
from IPython.core.error import UsageError

import jupyter_mlops as mlops
from tests.parity.conftest import Faces


def _runs(faces: Faces, experiment: str) -> list[str]:
    ids = []
    for name, c, rows in ((f"{experiment}-a", 0.5, 10), (f"{experiment}-b", 1.0, 12)):
        data = faces.project.root / f"{experiment}.csv"
        pd.DataFrame({"tenure": range(rows), "churned": [i % 2 for i in range(rows)]}).to_csv(
            data, index=False
        )
        params = {"C": c, "penalty": "l2"}
        with mlops.start_run(name, experiment=experiment, params=params, store=faces.store) as run:
            # Not named like the experiment: test_datasets' own "p-diff" shares the project.
            run.log_dataset(data, f"{experiment}-train", role="training")
            run.log_metric("auc", 0.8 + c / 10)
            run.log_metric("up", float("inf"))
            for i, source in enumerate(["import numpy", f"C = {c}", "fit(C)"], start=1):
                run.log_cell(
                    source, execution_count=i, started=time.time(), duration=0.1, status="ok"
                )
        ids.append(run.id)
    return ids


def test_a_diff_reads_the_same_everywhere(faces: Faces) -> None:
    ids = _runs(faces, "p-diff")
    refs = [ids[0][:8], "p-diff-b"]  # a short id and a name

    python = json.loads(mlops.diff(*refs).model_dump_json())
    cli = faces.cli_json("diff", *refs)
    rest = faces.rest("runs/diff", a=refs[0], b=refs[1])
    shown = faces.magic(f"diff {' '.join(refs)}").displays[0]

    assert cli == rest == python
    assert [rest["a"]["run_id"], rest["b"]["run_id"]] == ids
    assert rest["headline"] == (
        "auc 0.85→0.9 (+5.9%): 1 param changed (C 0.5→1.0), dataset p-diff-train v1→v2, "
        "1 cell edited"
    )
    assert rest["params"] == [{"key": "C", "change": "changed", "a": "0.5", "b": "1.0"}]
    assert [m["key"] for m in rest["metrics"]] == ["auc", "up"]
    assert rest["metrics"][1] == {
        "key": "up",
        "a": "Infinity",
        "b": "Infinity",
        "delta": None,
        "relative": None,
    }
    [dataset] = rest["datasets"]
    assert (dataset["a"], dataset["b"]) == ("dataset:p-diff-train@1", "dataset:p-diff-train@2")
    assert dataset["diff"]["rows"] == [10, 12]
    assert [b["change"] for b in rest["code"]["blocks"]] == ["same", "changed", "same"]
    assert shown["text/plain"] == rest["headline"]
    assert '<span class="good">+C = 1.0</span>' in shown["text/html"]


@pytest.mark.parametrize(
    ("refs", "status", "reason"),
    [
        (["p-same-a", "p-same-a"], 400, "The runs are the same run (p-same-a ("),
        (["p-same-a", "ghost"], 404, "No run 'ghost'"),
    ],
)
def test_bad_refs_are_refused_alike_on_every_face(
    faces: Faces, refs: list[str], status: int, reason: str
) -> None:
    _runs(faces, "p-same")
    cli = faces.cli("diff", *refs)
    rest = faces.project.jupyter.get("runs/diff", params={"a": refs[0], "b": refs[1]})
    with pytest.raises(UsageError) as magic:
        faces.magic(f"diff {' '.join(refs)}")
    with pytest.raises(mlops.MlopsUsageError) as python:
        mlops.diff(*refs)

    assert rest.status_code == status, rest.text
    message = rest.json()["error"]
    assert message.startswith(reason)
    assert (cli.code, cli.out, cli.err) == (2, "", f"jupyter-mlops: error: {message}\n")
    assert str(magic.value) == message == str(python.value)


def test_rest_refuses_a_missing_run(faces: Faces) -> None:
    answer = faces.project.jupyter.get("runs/diff", params={"a": "p-only"})
    assert answer.status_code == 400
    assert answer.json()["error"] == "b: is required."
