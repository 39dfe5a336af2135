"""Comparing runs: the same runs, params, metrics and curves on every face, the same refusal."""

from __future__ import annotations

import json

import pytest
from IPython.core.error import UsageError

import jupyter_mlops as mlops
from tests.parity.conftest import Faces


def _runs(faces: Faces, experiment: str) -> list[str]:
    ids = []
    for name, c in ((f"{experiment}-a", 0.5), (f"{experiment}-b", 1.0)):
        params = {"C": c, "penalty": "l2"}
        with mlops.start_run(name, experiment=experiment, params=params, store=faces.store) as run:
            run.log_metric("loss", 0.9, step=0)
            run.log_metric("loss", 0.4 * c, step=1)
            run.log_metric("up", float("inf"))
        ids.append(run.id)
    return ids


def test_a_comparison_reads_the_same_everywhere(faces: Faces) -> None:
    ids = _runs(faces, "p-cmp")
    refs = [ids[0][:8], "p-cmp-b", "ghost"]  # a short id, a name, and nothing

    panel = mlops.widgets.compare(*refs)
    python = json.loads(panel.data.model_dump_json())
    cli = faces.cli_json("compare", *refs)
    rest = faces.rest("runs/compare", run=refs)
    magic = faces.magic(f"compare {' '.join(refs)}").displays[0]["text/html"]

    assert cli == rest == python
    assert [r["run_id"] for r in rest["runs"]] == ids
    assert rest["params"] == [
        {"key": "C", "values": ["0.5", "1.0"], "differs": True},
        {"key": "penalty", "values": ["l2", "l2"], "differs": False},
    ]
    assert rest["metrics"] == [
        {"key": "loss", "values": [0.2, 0.4]},
        {"key": "up", "values": ["Infinity", "Infinity"]},
    ]
    assert [c["key"] for c in rest["curves"]] == ["loss"]
    assert [line["values"] for line in rest["curves"][0]["runs"]] == [[0.9, 0.2], [0.9, 0.4]]
    assert [line["steps"] for line in rest["curves"][0]["runs"]] == [[0, 1], [0, 1]]
    [missing] = rest["missing"]
    assert missing.startswith("No run 'ghost'")
    assert '<tr class="diff"><td>C</td><td>0.5</td><td>1.0</td></tr>' in magic
    assert missing in magic.replace("&#x27;", "'")


@pytest.mark.parametrize(
    ("refs", "status", "reason"),
    [
        (["p-lone-a"], 400, "Give two runs or more to compare"),
        (["p-lone-a", "ghost"], 404, "Comparing needs two runs or more; found 1."),
    ],
)
def test_too_few_runs_are_refused_alike_on_every_face(
    faces: Faces, refs: list[str], status: int, reason: str
) -> None:
    _runs(faces, "p-lone")
    cli = faces.cli("compare", *refs)
    rest = faces.project.jupyter.get("runs/compare", params={"run": refs})
    with pytest.raises(UsageError) as magic:
        faces.magic(f"compare {' '.join(refs)}")
    panel = mlops.widgets.compare(*refs)

    assert rest.status_code == status, rest.text
    message = rest.json()["error"]
    assert reason in message
    assert (cli.code, cli.out, cli.err) == (2, "", f"jupyter-mlops: error: {message}\n")
    assert str(magic.value) == message
    assert panel.error == message and panel.data.runs == []


@pytest.mark.parametrize(
    ("curves", "reason"),
    [("-1", "curves: expected zero or more, not -1"), ("two", "curves: expected a whole number")],
)
def test_a_bad_curve_count_is_refused_over_rest_in_one_line(
    faces: Faces, curves: str, reason: str
) -> None:
    ids = _runs(faces, "p-count")
    rest = faces.project.jupyter.get("runs/compare", params={"run": ids, "curves": curves})
    assert rest.status_code == 400, rest.text
    message = rest.json()["error"]
    assert message.startswith(reason)
    assert "\n" not in message
    # 0 is the table alone: every param and metric, no curve.
    table = faces.rest("runs/compare", run=ids, curves=0)
    assert table["curves"] == [] and table["with_history"] == ["loss"]
    assert [m["key"] for m in table["metrics"]] == ["loss", "up"]
