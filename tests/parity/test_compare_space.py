"""The compare view's data across faces: curves of a metric asked by name, and every run of a
filter by params and metrics (the lab's plots and the notebook panel's), the same everywhere."""

from __future__ import annotations

import json

import jupyter_mlops as mlops
from jupyter_mlops.services.compare import space
from jupyter_mlops.services.schema import SpaceQuery
from tests.parity.conftest import Faces


def _runs(faces: Faces, experiment: str) -> list[str]:
    ids = []
    for i, c in enumerate((0.1, 1.0, 10.0)):
        with mlops.start_run(
            f"{experiment}-{i}", experiment=experiment, params={"C": c}, store=faces.store
        ) as run:
            for step in range(4):
                run.log_metric("loss", 1 / (step + 1 + c), step=step)
            run.log_metric("auc", 0.7 + c / 100)
        ids.append(run.id)
    return ids


def test_every_filtered_run_is_laid_out_alike_for_the_lab_and_the_panel(faces: Faces) -> None:
    ids = _runs(faces, "p-space")
    rest = faces.rest("runs/space", experiment=["p-space"], filter="metrics.auc > 0.705")
    python = json.loads(
        space(
            faces.store, SpaceQuery(experiment=["p-space"], filter="metrics.auc > 0.705")
        ).model_dump_json()
    )
    panel = mlops.widgets.compare(ids[0], ids[1], filter="metrics.auc > 0.705")

    assert rest == python == json.loads(panel.space.model_dump_json())
    assert [r["run_id"] for r in rest["runs"]] == [ids[2], ids[1]]
    assert rest["params"] == [
        {"key": "C", "values": ["10.0", "1.0"], "numeric": True, "distinct": 2}
    ]
    assert rest["total"] == 2


def test_a_curve_asked_by_name_reads_the_same_on_rest_and_cli(faces: Faces) -> None:
    ids = _runs(faces, "p-curve")
    rest = faces.rest("runs/compare", run=ids[:2], curve=["loss"], max_points=10)
    panel = mlops.widgets.compare(*ids[:2])
    assert [c["key"] for c in rest["curves"]] == ["loss"]
    assert rest["curves"][0]["logged"] == [4, 4]
    assert rest["curves"] == json.loads(panel.data.model_dump_json())["curves"]


def test_bad_input_is_a_one_line_400(faces: Faces) -> None:
    ids = _runs(faces, "p-bad")
    jupyter = faces.project.jupyter
    cases = [
        ("runs/space", {"filter": "metrics.auc >"}, "Invalid filter"),
        ("runs/compare", {"run": ids[:2], "curve": "nope"}, "None of these runs logged metric"),
        ("runs/compare", {"run": ids[:1]}, "Give two runs or more"),
    ]
    for path, params, reason in cases:
        answer = jupyter.get(path, params=params)
        assert answer.status_code == 400, answer.text
        message = answer.json()["error"]
        assert reason in message and "\n" not in message
