"""Runs: the same runs, in the same order, with the same values and statuses on every face."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import textwrap

import jupyter_mlops as mlops
from tests.parity.conftest import Faces

NAMES = ["beta", "Alpha", "alpha", "Émile", "_under", "zeta"]


def test_runs_ordered_by_name_come_in_code_point_order_everywhere(faces: Faces) -> None:
    for name in NAMES:
        with mlops.start_run(name, experiment="parity-order", store=faces.store):
            pass
    expected = sorted(NAMES)  # code point: "Alpha" < "_under" < "alpha" < "beta" < "zeta" < "Émile"

    frame = mlops.search_runs(experiments="parity-order", order_by=["name"])
    cli = faces.cli_json("runs", "-e", "parity-order", "--order-by", "name")
    rest = faces.rest("runs", experiment="parity-order", order_by="name")
    magic = faces.magic("runs -e parity-order --order-by name").displays[0]["text/html"]

    assert list(frame["name"]) == expected
    assert [r["name"] for r in cli["items"]] == expected
    assert [r["name"] for r in rest["items"]] == expected
    assert cli == rest
    positions = [magic.index(f">{name}<") for name in expected]
    assert positions == sorted(positions)


def test_nan_and_infinities_read_the_same_everywhere(faces: Faces) -> None:
    with mlops.start_run("odd-values", experiment="parity-values", store=faces.store) as run:
        run.log_metric("nan", float("nan"))
        run.log_metric("up", float("inf"))
        run.log_metric("down", float("-inf"))
        run.log_metric("plain", 0.5)
    expected = {"down": "-Infinity", "nan": "NaN", "plain": 0.5, "up": "Infinity"}

    record = mlops.get_run(run.id)
    assert math.isnan(record.metrics["nan"])
    assert (record.metrics["up"], record.metrics["down"]) == (math.inf, -math.inf)
    assert faces.cli_json("show", run.id)["metrics"] == expected
    assert faces.rest(f"runs/{run.id}")["metrics"] == expected
    page = faces.cli_json("runs", "-e", "parity-values")
    assert page["items"][0]["metrics"] == expected
    assert faces.rest("runs", experiment="parity-values")["items"][0]["metrics"] == expected
    shown = faces.magic(f"show {run.id}").displays[0]["text/html"]
    for text in ("nan", "inf", "-inf", "0.5"):
        assert f">{text}<" in shown, text


def test_a_run_whose_process_died_is_killed_on_every_face(faces: Faces) -> None:
    # A process that starts a run, then is killed without ending it.
    script = textwrap.dedent(
        """
        import sys, time
        import jupyter_mlops as mlops
        run = mlops.start_run("doomed", experiment="parity-killed")
        print(run.id, flush=True)
        time.sleep(600)
        """
    )
    with subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    ) as child:
        try:
            assert child.stdout is not None
            run_id = child.stdout.readline().strip()
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()

    assert mlops.get_run(run_id).status == "killed"
    assert faces.cli_json("show", run_id)["status"] == "killed"
    assert faces.rest(f"runs/{run_id}")["status"] == "killed"
    assert faces.cli_json("runs", "-e", "parity-killed")["items"][0]["status"] == "killed"
    assert faces.rest("runs", experiment="parity-killed")["items"][0]["status"] == "killed"
    assert "mlops-killed" in faces.magic("runs -e parity-killed").displays[0]["text/html"]


def test_a_deleted_run_is_gone_from_every_face_until_restored(faces: Faces) -> None:
    ids = []
    for name in ("kept", "binned"):
        with mlops.start_run(name, experiment="parity-delete", store=faces.store) as run:
            pass
        ids.append(run.id)
    kept, binned = ids

    answer = faces.send("POST", "runs/delete", {"runs": [binned]})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"changed": [binned], "unchanged": []}
    assert list(mlops.search_runs(experiments=["parity-delete"])["run_id"]) == [kept]
    assert [r["run_id"] for r in faces.cli_json("runs", "-e", "parity-delete")["items"]] == [kept]
    rest = faces.rest("runs", experiment="parity-delete")
    assert [r["run_id"] for r in rest["items"]] == [kept]
    deleted = faces.rest("runs", experiment="parity-delete", lifecycle="deleted")
    assert [r["run_id"] for r in deleted["items"]] == [binned]
    assert faces.cli_json("runs", "-e", "parity-delete", "--lifecycle", "deleted") == deleted
    html = faces.magic("runs -e parity-delete").displays[0]["text/html"]
    assert ">kept<" in html and ">binned<" not in html

    assert faces.magic(f"runs restore {binned}").stdout.strip() == f"restored run {binned[:8]}"
    rest = faces.rest("runs", experiment="parity-delete")
    assert {r["run_id"] for r in rest["items"]} == {kept, binned}
    unknown = faces.send("POST", "runs/delete", {"runs": [kept, "nope-nope"]})
    assert unknown.status_code == 404 and "nope-nope" in unknown.json()["error"]
    assert len(faces.rest("runs", experiment="parity-delete")["items"]) == 2
