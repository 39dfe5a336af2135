"""Reproducing: every face refuses what cannot be reproduced with the same one line.

A reproduction that runs (kernels, a certificate) is covered face by face in
tests/reproduce/; here the questions every face must answer alike without a kernel.
"""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError

import jupyter_mlops as mlops
from tests.parity.conftest import Faces


@pytest.mark.parametrize(
    ("target", "status", "reason"),
    [
        ("p-repro-ghost", 404, "No run 'p-repro-ghost'"),
        ("p-repro-api", 400, "recorded no cells to re-execute"),
        ("models:/p-repro-nothing@staging", 404, "p-repro-nothing"),
    ],
)
def test_what_cannot_be_reproduced_is_refused_alike(
    faces: Faces, target: str, status: int, reason: str
) -> None:
    with mlops.start_run("p-repro-api", store=faces.store) as run:
        run.log_metric("auc", 0.9)  # a run of the Python API: no cells recorded

    cli = faces.cli("reproduce", target)
    rest = faces.send("POST", "reproductions", {"target": target})
    with pytest.raises(UsageError) as magic:
        faces.magic(f"reproduce {target}")
    with pytest.raises(mlops.MlopsUsageError) as python:
        mlops.reproduce(target)

    assert rest.status_code == status, rest.text
    message = rest.json()["error"]
    assert reason in message
    assert (cli.code, cli.out, cli.err) == (2, "", f"jupyter-mlops: error: {message}\n")
    assert str(magic.value) == message
    assert str(python.value) == message


def test_a_negative_tolerance_is_bad_usage_everywhere(faces: Faces) -> None:
    cli = faces.cli("reproduce", "p-repro-api", "--tolerance", "-1")
    rest = faces.send("POST", "reproductions", {"target": "p-repro-api", "tolerance": -1})
    with pytest.raises(UsageError) as magic:
        faces.magic("reproduce p-repro-api --tolerance -1")

    assert rest.status_code == 400, rest.text
    assert cli.code == 2 and "--tolerance" in cli.err and "expected zero or more" in cli.err
    assert "expected zero or more" in rest.json()["error"]
    assert "--tolerance" in str(magic.value)
