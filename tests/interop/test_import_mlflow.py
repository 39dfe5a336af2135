"""``import mlflow``: what a user finds in the store after importing an MLflow store."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

import jupyter_mlops as mlops
from jupyter_mlops.store import Store
from tests.interop.conftest import T0, Source

# MLflow's client warns about its own SQLAlchemy use; the suite turns warnings into errors.
pytestmark = pytest.mark.filterwarnings(r"ignore:::mlflow(\.|$)")


@pytest.mark.parametrize("kind", ["sqlite", "file"])
def test_runs_arrive_with_times_users_statuses_params_histories_tags_and_files(
    store: Store, make_source: Callable[[str], Source], kind: str
) -> None:
    src = make_source(kind)

    report = mlops.interop.import_mlflow(src.uri, store=store)

    assert report.runs_imported == 4
    assert sorted(report.experiments_created) == ["churn", "extra"]
    runs = mlops.search_runs(experiments=["churn"], store=store)
    assert sorted(runs["name"]) == ["baseline", "fold-1", "still-going"]
    parent = mlops.get_run(src.parent, store=store)  # the MLflow run id still resolves
    assert parent.name == "baseline"
    assert parent.status == "finished"
    assert parent.start_time == T0 / 1000 and parent.end_time == T0 / 1000 + 60
    assert parent.user  # MLflow's user id
    assert parent.params == {"C": "0.5", "path": r"C:\temp\x"}
    assert parent.tags["team"] == "risk"
    assert parent.tags["mlflow.run_id"] == src.parent
    history = mlops.get_metric_history(src.parent, "auc", store=store)
    assert [(p.step, p.value, p.timestamp) for p in history] == [
        (0, 0.5, T0 / 1000),
        (1, 0.6, T0 / 1000 + 1),
        (2, 0.7, T0 / 1000 + 2),
    ]
    assert parent.metrics["auc"] == 0.7
    assert math.isnan(parent.metrics["loss"])
    (note,) = parent.artifacts
    assert note.path == "reports/notes.txt"
    assert store.objects.read_bytes(note.digest) == b"hello from mlflow"
    child = mlops.get_run(src.child, store=store)
    assert child.status == "failed"
    assert child.parent_id == parent.id
    assert child.tags["mlflow.parentRunId"] == src.parent
    running = mlops.get_run(src.running, store=store)
    assert running.status == "killed" and running.tags["mlflow.status"] == "RUNNING"
    assert any("RUNNING in MLflow: imported as killed" in line for line in report.not_mapped)


def test_a_second_import_adds_nothing_and_a_later_one_only_what_is_new(
    store: Store, make_source: Callable[[str], Source], mlflow_client: Callable[[str], object]
) -> None:
    src = make_source("sqlite")
    mlops.interop.import_mlflow(src.uri, store=store)

    again = mlops.interop.import_mlflow(src.uri, store=store)
    assert (again.runs_imported, again.runs_present, again.metric_points) == (0, 4, 0)
    assert len(mlops.search_runs(store=store)) == 4

    c = mlflow_client(src.uri)
    c.log_metric(src.running, "auc", 0.9, timestamp=T0 + 20_000, step=5)  # type: ignore[attr-defined]
    c.set_terminated(src.running, "FINISHED", end_time=T0 + 30_000)  # type: ignore[attr-defined]
    exp = c.get_experiment_by_name("extra").experiment_id  # type: ignore[attr-defined]
    c.set_terminated(c.create_run(exp, run_name="new").info.run_id)  # type: ignore[attr-defined]

    later = mlops.interop.import_mlflow(src.uri, store=store)
    assert (later.runs_imported, later.runs_updated, later.runs_present) == (1, 1, 3)
    assert later.metric_points == 1
    done = mlops.get_run(src.running, store=store)
    assert done.status == "finished" and done.end_time == T0 / 1000 + 30
    assert done.metrics["auc"] == 0.9
    assert len(mlops.search_runs(store=store)) == 5
    assert not later.experiments_created
    assert sorted(later.experiments_merged) == ["churn", "extra"]


def test_an_experiment_of_the_same_name_is_merged_into(
    store: Store, make_source: Callable[[str], Source]
) -> None:
    with mlops.start_run(experiment="churn", name="ours", store=store):
        pass
    src = make_source("sqlite")

    report = mlops.interop.import_mlflow(src.uri, experiments=["churn"], store=store)

    assert report.experiments_merged == ["churn"] and report.experiments_created == []
    names = sorted(mlops.search_runs(experiments=["churn"], store=store)["name"])
    assert names == ["baseline", "fold-1", "ours", "still-going"]
    assert len(mlops.search_runs(store=store)) == 4  # nothing of "extra"


def test_files_missing_on_the_source_are_reported_and_the_run_still_imported(
    store: Store, make_source: Callable[[str], Source]
) -> None:
    src = make_source("sqlite")
    (note,) = src.artifacts.rglob("notes.txt")
    note.unlink()
    note.symlink_to(note.parent / "gone.txt")  # the share lost the file, its entry remains

    report = mlops.interop.import_mlflow(src.uri, store=store)

    assert report.runs_imported == 4
    (line,) = [x for x in report.not_mapped if "artifacts missing" in x]
    assert src.parent in line and "imported without them" in line
    parent = mlops.get_run(src.parent, store=store)
    assert parent.artifacts == [] and parent.params["C"] == "0.5"
