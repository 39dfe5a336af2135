"""The module-level API: the active run, finding runs again, and default experiment names."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

import jupyter_mlops as mlops
from jupyter_mlops import MlopsUsageError, NotFoundError
from jupyter_mlops.store import Store
from jupyter_mlops.store import runs as q


def insert_run(store: Store, run_id: str, name: str, start_time: float) -> None:
    with store.write() as conn:
        experiment_id = q.get_or_create_experiment(conn, "e")
        q.insert_run(
            conn,
            {
                "id": run_id,
                "name": name,
                "experiment_id": experiment_id,
                "status": "finished",
                "start_time": start_time,
                "end_time": start_time + 1,
                "heartbeat": start_time + 1,
            },
        )


# -- finding a run again ----------------------------------------------------------------


@pytest.mark.parametrize(
    "ref",
    [
        lambda run: run.id,
        lambda run: run.id[:4],
        lambda run: run.short_id,
        lambda run: run.id.upper(),
        lambda run: f"  {run.id[:6]} ",
        lambda run: run.name,
    ],
    ids=["full id", "4-char prefix", "short id", "upper case", "padded", "name"],
)
def test_get_run_by_id_prefix_or_name(store: Store, ref: Any) -> None:
    with mlops.start_run("brisk-otter-42", store=store) as run:
        run.log_metric("auc", 0.9)
    record = mlops.get_run(ref(run), store=store)
    assert (record.id, record.name, record.metrics) == (run.id, "brisk-otter-42", {"auc": 0.9})


def test_get_run_by_name_returns_the_newest_run_of_that_name(store: Store) -> None:
    insert_run(store, "a" * 32, "same", time.time() - 10)
    insert_run(store, "b" * 32, "same", time.time())
    assert mlops.get_run("same", store=store).id == "b" * 32


@pytest.mark.parametrize(
    ("ref", "error", "message"),
    [
        ("ffff", NotFoundError, "No run 'ffff': use a run id, a short id of 4\\+ characters"),
        ("nope", NotFoundError, "No run 'nope'"),
        ("abc", NotFoundError, "No run 'abc'"),  # too short to be a prefix
        ("", MlopsUsageError, "Give a run id, short id or name."),
        ("abcd", MlopsUsageError, "Run id prefix 'abcd' is ambiguous; give more characters."),
    ],
)
def test_get_run_errors(store: Store, ref: str, error: type[Exception], message: str) -> None:
    insert_run(store, "abcd" + "0" * 28, "first", time.time())
    insert_run(store, "abcd" + "1" * 28, "second", time.time())
    with pytest.raises(MlopsUsageError, match=message) as info:
        mlops.get_run(ref, store=store)
    assert type(info.value) is error


def test_longer_prefix_resolves_what_a_short_one_could_not(store: Store) -> None:
    insert_run(store, "abcd" + "0" * 28, "first", time.time())
    insert_run(store, "abcd" + "1" * 28, "second", time.time())
    assert mlops.get_run("abcd1", store=store).name == "second"


def test_metric_history_of_unknown_run_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        mlops.get_metric_history("missing-run", "loss", store=store)


# -- default experiment names -----------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "kwargs", "expected"),
    [
        ({}, {}, "Default"),
        ({"MLOPS_EXPERIMENT": "team-x"}, {}, "team-x"),
        ({}, {"notebook": "notebooks/churn.ipynb"}, "churn"),
        ({"MLOPS_NOTEBOOK": "/work/fraud model.ipynb"}, {}, "fraud model"),
        ({"JPY_SESSION_NAME": "eda/explore.ipynb"}, {}, "explore"),
        ({"MLOPS_EXPERIMENT": "team-x"}, {"notebook": "churn.ipynb"}, "churn"),
        ({}, {"notebook": "churn.ipynb", "experiment": "explicit"}, "explicit"),
    ],
)
def test_experiment_defaults_to_the_notebook_then_the_config(
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    environ: dict[str, str],
    kwargs: dict[str, str],
    expected: str,
) -> None:
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    with mlops.start_run(store=store, **kwargs) as run:
        pass
    assert run.experiment == expected
    assert mlops.get_run(run.id, store=store).experiment == expected


def test_experiment_default_from_pyproject(
    store: Store, clean_workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_workdir / "pyproject.toml").write_text('[tool.jupyter-mlops]\nexperiment = "proj"\n')
    with mlops.start_run(store=store) as run:
        pass
    assert run.experiment == "proj"


def test_notebook_path_and_digest_are_recorded(store: Store, clean_workdir: Path) -> None:
    notebook = clean_workdir / "train.ipynb"
    notebook.write_text('{"cells": []}')
    with mlops.start_run(store=store, notebook=str(notebook)) as run:
        pass
    record = mlops.get_run(run.id, store=store)
    assert record.notebook_path == str(notebook)
    assert record.notebook_digest is not None and len(record.notebook_digest) == 64


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"experiment": "  "}, "An experiment name must not be empty."),
        ({"name": ""}, "A run name must be a non-empty string"),
        ({"name": 3}, "A run name must be a non-empty string, not 3."),
    ],
)
def test_bad_run_and_experiment_names_are_usage_errors(
    store: Store, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(MlopsUsageError, match=message):
        mlops.start_run(store=store, **kwargs)
    assert mlops.active_run() is None


def test_runs_get_readable_names_when_not_given(store: Store) -> None:
    with mlops.start_run(store=store) as run:
        pass
    adjective, noun, number = run.name.split("-")
    assert adjective.isalpha() and noun.isalpha() and 10 <= int(number) <= 99


# -- the active run ---------------------------------------------------------------------


def test_module_functions_log_into_the_active_run(store: Store, tmp_path: Path) -> None:
    with mlops.start_run(store=store) as run:
        mlops.log_param("C", 0.5)
        mlops.log_params({"penalty": "l2"})
        mlops.set_tag("owner", "ana")
        assert mlops.log_metric("loss", 0.3) == 0
        mlops.log_metrics({"loss": 0.2, "acc": 0.9})
        mlops.log_artifact(b"notes", "notes.txt")
    record = mlops.get_run(run.id, store=store)
    assert record.params == {"C": "0.5", "penalty": "l2"}
    assert record.tags == {"owner": "ana"}
    assert record.metrics == {"loss": 0.2, "acc": 0.9}
    assert [a.path for a in record.artifacts] == ["notes.txt"]


@pytest.mark.parametrize(
    "call",
    [
        lambda: mlops.log_param("C", 1),
        lambda: mlops.log_params({"C": 1}),
        lambda: mlops.log_metric("m", 1.0),
        lambda: mlops.log_metrics({"m": 1.0}),
        lambda: mlops.set_tag("t", "v"),
        lambda: mlops.log_artifact(b"x", "x.bin"),
    ],
)
def test_module_functions_without_an_active_run_are_usage_errors(call: Any) -> None:
    with pytest.raises(MlopsUsageError, match="No active run: start one with"):
        call()


def test_end_run_ends_the_active_run(store: Store) -> None:
    run = mlops.start_run(store=store)
    assert mlops.active_run() is run
    mlops.end_run("failed")
    assert mlops.active_run() is None
    assert mlops.get_run(run.id, store=store).status == "failed"
    mlops.end_run()  # nothing active: a no-op
