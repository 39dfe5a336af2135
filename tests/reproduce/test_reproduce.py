"""Reproducing runs from their record alone, in real kernels."""

from __future__ import annotations

import json

import pytest

import jupyter_mlops as mlops
from jupyter_mlops.reproduction.materialize import DataUnavailable
from jupyter_mlops.server.errors import http_error
from jupyter_mlops.services import project
from jupyter_mlops.services.reproduce import reproduce
from jupyter_mlops.services.schema import ErrorBody
from jupyter_mlops.services.schema.reproduce import ReproduceRequest
from jupyter_mlops.store import reproductions
from tests.reproduce.conftest import notebook, write_data

LOGREG = "__import__('sklearn.linear_model').linear_model.LogisticRegression(max_iter=5000)"
UNSEEDED = "__import__('sklearn.ensemble').ensemble.RandomForestClassifier(n_estimators=3)"
LIGHTGBM = "__import__('lightgbm').LGBMClassifier(n_estimators=20, random_state=0, verbose=-1)"


def test_deterministic_notebook_reproduces_from_a_clone_without_its_notebook(
    store_dir, run_tracked, clone
) -> None:
    write_data(store_dir)
    run_tracked(notebook(LOGREG))
    original = mlops.get_run("repro-demo")
    assert original.status == "finished"
    folder = clone()
    assert not list(folder.glob("*.ipynb")) and not (folder / "data").exists()

    report = reproduce(project.store(), ReproduceRequest(target=original.id))

    assert report.verdict == "reproduced", report.message
    assert report.message == "reproduced: every metric and model matches the record"
    assert report.data == [f"data/train.csv ({original.inputs[0].digest[:12]})"]
    dropped = [c.execution_count for c in report.cells if not c.kept]
    assert 4 in dropped  # `note = 'nothing uses this'`
    again = mlops.get_run(report.reproduction_run_id)
    assert again.tags["mlops.reproduces"] == original.id
    assert again.metrics == original.metrics
    [certificate] = reproductions.for_run(project.store(), original.id)
    assert (certificate.verdict, certificate.reproduction_run_id) == (
        "reproduced",
        report.reproduction_run_id,
    )


def test_recorded_data_is_used_and_a_missing_object_names_the_dataset(
    store_dir, run_tracked, cli
) -> None:
    data = write_data(store_dir)
    run_tracked(notebook(LOGREG))
    original = mlops.get_run("repro-demo")
    digest = original.inputs[0].digest
    raw = bytearray(data.read_bytes())
    raw[-2] = ord("0") if raw[-2] != ord("0") else ord("1")  # one byte of the last label
    data.write_bytes(bytes(raw))

    report = reproduce(project.store(), ReproduceRequest(target="repro-demo"))
    assert report.verdict == "reproduced", report.message

    project.store().objects.delete(digest)
    with pytest.raises(DataUnavailable) as info:
        reproduce(project.store(), ReproduceRequest(target="repro-demo"))
    assert "The recorded data data/train.csv is not in the artifact store" in str(info.value)
    latest = reproductions.for_run(project.store(), original.id)[0]
    assert latest.verdict == "not reproduced"
    # REST answers 409 (the request was valid; the store lost what the record names), not 500.
    assert http_error(info.value) == (409, ErrorBody(error=str(info.value)))
    refused = cli("reproduce", "repro-demo")
    assert (refused.code, refused.out) == (1, "")
    assert refused.err == f"jupyter-mlops: error: {info.value}\n"


def test_unseeded_model_is_not_reproduced_nondeterministic(store_dir, run_tracked, cli) -> None:
    write_data(store_dir)
    run_tracked(notebook(UNSEEDED))

    result = cli("reproduce", "repro-demo", "--format", "json")  # the command line's face

    assert result.code == 1, result.err
    report = json.loads(result.out)
    assert report["verdict"] == "not reproduced"
    assert report["cause"] == "nondeterministic"
    assert report["message"].startswith("not reproduced: nondeterministic: ")
    assert report["executions"] == 2


def test_lightgbm_model_reproduces(store_dir, run_tracked) -> None:
    write_data(store_dir)
    run_tracked(notebook(LIGHTGBM))
    original = mlops.get_run("repro-demo")
    assert original.models[0].flavor == "lightgbm"

    report = reproduce(project.store(), ReproduceRequest(target="repro-demo"))

    assert report.verdict == "reproduced", report.message


def test_gate_refuses_uncertified_and_passes_certified_in_the_audit_history(
    store_dir, run_tracked
) -> None:
    write_data(store_dir)
    run_tracked(notebook(LOGREG))
    mlops.models.register("repro-demo", "cancer")
    with pytest.raises(mlops.GateRefused) as info:
        mlops.models.promote("cancer", 1, to="staging", checks=["reproducible"])
    assert "no reproducibility certificate for models:/cancer/1" in str(info.value)

    report = mlops.reproduce("models:/cancer/1")
    assert (report.verdict, report.model) == ("reproduced", "models:/cancer/1")
    event = mlops.models.promote(
        "cancer", 1, to="staging", checks=["reproducible(tolerance=1e-6)", "metrics.score > 0.5"]
    )

    assert event.outcome == "promoted"
    history = mlops.models.history("cancer")
    assert list(history["outcome"]) == ["refused", "promoted"]
    refused, promoted = history["checks"]
    assert "reproducible" in refused and "no reproducibility certificate" in refused
    assert f"certificate #{report.certificate_id} says reproduced" in promoted


def test_cell_form_run_reproduces_through_the_session_log(store_dir, run_tracked) -> None:
    write_data(store_dir)
    cells = notebook(LOGREG)
    # Imports and a helper run untracked; the tracked cell reads the data and trains.
    helper = "def features(frame):\n    return frame.drop(columns=['target']).to_numpy()"
    tracked = (
        "%%mlops track cell-form\n"
        "df = pd.read_csv('data/train.csv')\n"
        "X, y = features(df), df['target'].to_numpy()\n"
        "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)\n" + cells[6]
    )
    run_tracked([cells[0], cells[2], cells[3], helper, tracked])
    original = mlops.get_run("cell-form")
    assert len(original.cells) == 1

    report = reproduce(project.store(), ReproduceRequest(target="cell-form"))

    assert report.verdict == "reproduced", report.message
    kept = [(c.tracked, c.why) for c in report.cells if c.kept]
    assert kept == [
        (False, "defines pd, roc_auc_score, train_test_split"),
        (False, "defines features"),
        (True, "tracked"),
    ]
