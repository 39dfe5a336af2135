"""Validation notebooks run in a real kernel, and the two-process promotion race."""

import json
import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import select

from jupyter_mlops import models
from jupyter_mlops.errors import GateRefused
from jupyter_mlops.store import runs as q
from jupyter_mlops.store import tables as t

VALIDATE = [
    "import pandas as pd\n"
    "from sklearn.metrics import roc_auc_score\n"
    "from jupyter_mlops import models, start_run",
    # Relative path: the notebook runs in its own folder.
    "holdout = pd.read_csv('holdout.csv')\n"
    "X, y = holdout.drop(columns='y').to_numpy(), holdout['y']",
    "model = models.load(model_uri)\n"
    "with start_run(parent=validation_run_id) as run:\n"
    "    run.log_metric('roc_auc', roc_auc_score(y, model.predict_proba(X)[:, 1]))\n"
    "    run.log_param('stage', stage)",
]


@pytest.fixture
def candidate(store, make_run, data, tmp_path):
    import pandas as pd

    X, y = data
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])]).assign(y=y)
    frame.to_csv(tmp_path / "holdout.csv", index=False)
    models.register(make_run(metrics={"roc_auc": 0.5}), "churn", store=store)
    return store


def test_validation_notebook_metrics_feed_the_checks(candidate, tmp_path, write_notebook, capfd):
    nb = write_notebook(tmp_path / "validate.ipynb", VALIDATE)
    event = models.promote(
        "churn",
        1,
        to="staging",
        validate=nb,
        checks=["validation.metrics.roc_auc >= 0.8", "metrics.roc_auc >= 0.8"],
        store=candidate,
    )
    assert event.outcome == "promoted"
    first, *checks = event.checks
    assert first.expression == f"validate {nb}"
    assert first.passed
    auc = first.values["roc_auc"]
    assert auc > 0.8
    # metrics.* is the registration snapshot (0.5) overridden by what validation logged.
    assert [c.values for c in checks] == [
        {"validation.metrics.roc_auc": auc},
        {"metrics.roc_auc": auc},
    ]
    run = q.load_run(candidate, event.validation["run_id"])
    assert run.status == "finished"
    assert run.experiment == "validation"
    assert run.tags["mlops.validation_for"] == "models:/churn/1"
    assert run.tags["mlops.validation_stage"] == "staging"
    assert [a.path for a in run.artifacts] == ["validation/validate.ipynb"]
    (child,) = event.validation["child_runs"]
    assert q.load_run(candidate, child).params == {"stage": "staging"}
    assert q.load_run(candidate, child).parent_id == run.id
    # The validation kernel is reached over IPC: ipykernel says nothing into our output.
    out, err = capfd.readouterr()
    assert "without encryption" not in out + err and "IPKernelApp" not in out + err


def test_a_failing_validation_cell_refuses(candidate, tmp_path, write_notebook):
    nb = write_notebook(
        tmp_path / "validate.ipynb", [*VALIDATE[:2], "raise ValueError('holdout too small')"]
    )
    with pytest.raises(GateRefused) as info:
        models.promote("churn", 1, validate=nb, store=candidate)
    message = str(info.value)
    assert "raised ValueError: holdout too small" in message
    assert "artifact validation/validate.ipynb of run" in message
    (event,) = models.events("churn", store=candidate)
    assert event.outcome == "refused"
    assert event.validation["passed"] is False
    run = q.load_run(candidate, event.validation["run_id"])
    assert run.status == "failed"
    assert [a.path for a in run.artifacts] == ["validation/validate.ipynb"]
    assert models.get("churn", 1, store=candidate).stages == []


def test_validation_metrics_that_fail_a_check_refuse(candidate, tmp_path, write_notebook):
    nb = write_notebook(tmp_path / "validate.ipynb", VALIDATE)
    with pytest.raises(GateRefused, match=r"failed: validation.metrics.roc_auc >= 0.999"):
        models.promote(
            "churn", 1, validate=nb, checks="validation.metrics.roc_auc >= 0.999", store=candidate
        )
    (event,) = models.events("churn", store=candidate)
    assert [c.status for c in event.checks] == ["passed", "failed"]


PROMOTER = textwrap.dedent(
    """
    import json, sys
    from jupyter_mlops import models
    from jupyter_mlops.errors import ConflictError
    from jupyter_mlops.store import open_store

    store = open_store(sys.argv[1], sys.argv[2])
    try:
        event = models.promote("churn", int(sys.argv[3]), validate=sys.argv[4], store=store)
        print(json.dumps({"outcome": event.outcome, "version": int(sys.argv[3])}))
    except ConflictError as exc:
        print(json.dumps({"outcome": "conflict", "version": int(sys.argv[3]), "error": str(exc)}))
    """
)

# Each promotion's validation notebook waits until both have read the stage holder.
BARRIER = [
    "import pathlib, time\n"
    "arrived = pathlib.Path('arrived')\n"
    "arrived.mkdir(exist_ok=True)\n"
    "(arrived / validation_run_id).touch()\n"
    "deadline = time.time() + 120\n"
    "while len(list(arrived.iterdir())) < 2 and time.time() < deadline:\n"
    "    time.sleep(0.05)\n"
    "assert len(list(arrived.iterdir())) == 2"
]


@pytest.mark.parametrize("first_holder", [None, 1], ids=["insert", "update"])
def test_two_processes_promote_at_once_exactly_one_wins(
    store, make_run, tmp_path, write_notebook, first_holder
):
    for _ in range(3):
        models.register(make_run(), "churn", store=store)
    if first_holder:
        models.promote("churn", first_holder, store=store, checks=["version >= 1"])
    nb = write_notebook(tmp_path / "barrier.ipynb", BARRIER)
    args = [str(store.engine.url), str(store.objects.root)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", PROMOTER, *args, str(version), str(nb)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for version in (2, 3)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))

    outcomes = sorted(r["outcome"] for r in results)
    assert outcomes == ["conflict", "promoted"]
    winner = next(r["version"] for r in results if r["outcome"] == "promoted")
    loser = next(r for r in results if r["outcome"] == "conflict")
    assert f"moved from {'v1' if first_holder else 'no version'} to v{winner}" in loser["error"]
    with store.read() as conn:
        rows = conn.execute(select(t.model_stages.c.stage, t.model_stages.c.version_id)).all()
    assert len(rows) == 1
    assert models.get("models:/churn@production", store=store).version == winner
    race = models.events("churn", store=store)[-2:]
    assert sorted(e.outcome for e in race) == ["conflict", "promoted"]
    assert {e.from_version for e in race} == {first_holder}
