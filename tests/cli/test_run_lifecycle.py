"""Soft delete: ``runs delete``/``restore``, what searches see, and gc's retention purge."""

from __future__ import annotations

import json
import time
from pathlib import Path

import nbformat
from sklearn.linear_model import LogisticRegression

import jupyter_mlops as mlops
from jupyter_mlops.services import pipelines
from jupyter_mlops.services.gc import collect_garbage
from jupyter_mlops.services.schema import PipelineRunQuery


def _run(store, name: str) -> str:
    with mlops.start_run(name, experiment="life", store=store) as run:
        run.log_param("C", 1)
        run.log_metric("auc", 0.9)
        run.log_artifact(f"report of {name}".encode(), "report.txt")
    return run.id


def test_a_deleted_run_leaves_lists_and_comes_back_on_restore(store, cli) -> None:
    keep, gone = _run(store, "keep"), _run(store, "gone")

    done = cli("runs", "delete", gone[:8])
    assert (done.code, done.out.strip()) == (0, f"deleted run {gone[:8]}")
    listed = json.loads(cli("runs", "-e", "life", "--format", "json").out)
    assert [r["run_id"] for r in listed["items"]] == [keep]
    assert listed["total"] == 1
    assert list(mlops.search_runs(experiments=["life"])["run_id"]) == [keep]

    deleted = json.loads(cli("runs", "--lifecycle", "deleted", "--format", "json").out)
    assert [r["run_id"] for r in deleted["items"]] == [gone]
    assert deleted["items"][0]["deleted_at"] > time.time() - 60
    both = json.loads(cli("runs", "--lifecycle", "all", "--format", "json").out)
    assert {r["run_id"] for r in both["items"]} == {keep, gone}
    # The run keeps every record: show still finds it and says it is deleted.
    shown = json.loads(cli("show", gone, "--format", "json").out)
    assert shown["params"] == {"C": "1"} and shown["deleted_at"] is not None

    again = cli("runs", "delete", gone)
    assert again.out.strip() == f"run {gone[:8]} was already deleted"

    back = cli("runs", "restore", "gone")  # by name
    assert back.out.strip() == f"restored run {gone[:8]}"
    listed = json.loads(cli("runs", "-e", "life", "--format", "json").out)
    assert {r["run_id"] for r in listed["items"]} == {keep, gone}
    assert all(r["deleted_at"] is None for r in listed["items"])


def test_an_unknown_run_among_several_deletes_none_of_them(store, cli) -> None:
    first = _run(store, "first")
    result = cli("runs", "delete", first, "no-such-run")
    assert result.code == 2
    assert "No run 'no-such-run'" in result.err and len(result.err.strip().splitlines()) == 1
    assert list(mlops.search_runs(experiments=["life"])["run_id"]) == [first]


def test_delete_needs_a_run_and_lifecycle_a_known_value(store, cli) -> None:
    assert cli("runs", "delete").code == 2
    bad = cli("runs", "--lifecycle", "gone")
    assert bad.code == 2 and "lifecycle" in bad.err


def test_python_api_deletes_and_restores(store) -> None:
    run_id = _run(store, "api")
    assert mlops.delete_run(run_id, store=store) == [run_id]
    assert mlops.delete_run(run_id, store=store) == []
    assert mlops.search_runs(experiments=["life"], store=store).empty
    assert list(mlops.search_runs(lifecycle="deleted", store=store)["run_id"]) == [run_id]
    assert mlops.restore_run(run_id, store=store) == [run_id]
    assert list(mlops.search_runs(experiments=["life"], store=store)["run_id"]) == [run_id]


def test_gc_purges_runs_deleted_past_retention_but_not_a_models_run(store, cli) -> None:
    old, recent, young = _run(store, "old"), _run(store, "recent"), _run(store, "young")
    with mlops.start_run("modelled", experiment="life", store=store) as run:
        run.log_model(LogisticRegression().fit([[0], [1]], [0, 1]), "model")
    mlops.models.register(run.id, "life-model", store=store)
    mlops.delete_run(old, recent, run.id, store=store)
    report_before = set(store.objects.iter_digests())

    # Ten days later, with a retention of seven days: all three deleted runs are past it.
    later = time.time() + 10 * 86400
    dry = collect_garbage(store, older_than=0, retention=7 * 86400, now=lambda: later)
    assert set(dry.purged_runs) == {old, recent} and dry.runs_kept_for_models == [run.id]
    assert set(mlops.search_runs(lifecycle="deleted", store=store)["run_id"]) == {
        old,
        recent,
        run.id,
    }

    done = collect_garbage(store, older_than=0, retention=7 * 86400, delete=True, now=lambda: later)
    assert set(done.purged_runs) == {old, recent}
    assert list(mlops.search_runs(lifecycle="deleted", store=store)["run_id"]) == [run.id]
    assert list(mlops.search_runs(experiments=["life"], store=store)["run_id"]) == [young]
    # The purged runs' reports were their only references: they went with the orphans.
    assert len(report_before - set(store.objects.iter_digests())) == 2
    assert mlops.models.load("models:/life-model/1") is not None


def test_gc_keeps_deleted_runs_within_retention(store, cli) -> None:
    run_id = _run(store, "fresh")
    mlops.delete_run(run_id, store=store)
    text = cli("gc", "--yes", "--older-than", "0", "--retention", "1")
    assert text.code == 0 and "purged" not in text.out
    assert list(mlops.search_runs(lifecycle="deleted", store=store)["run_id"]) == [run_id]
    purged = cli("gc", "--yes", "--older-than", "0", "--retention", "0")
    assert "purged 1 deleted run(s) past the retention period." in purged.out
    assert mlops.search_runs(lifecycle="all", store=store).empty


def test_a_purged_runs_pipeline_history_keeps_the_step_without_a_dead_link(store, cli) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import jupyter_mlops as mlops\nmlops.log_metric('a', 1)")
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, "train.ipynb")
    out = json.loads(cli("run", "train.ipynb", "--format", "json").out)
    ran, (step,) = out["run"], out["step_runs"]
    assert step["run_id"] is not None
    mlops.delete_run(step["run_id"], ran["run_id"], store=store)

    assert cli("gc", "--yes", "--older-than", "0", "--retention", "0").code == 0

    # The step still ran (its status and notebook stay in the history), but it names no run:
    # the faces show "no run" rather than a link to a run that is gone.
    detail = pipelines.get_run(store, ran["id"], root=Path.cwd())
    assert [(s.step, s.status, s.run_id) for s in detail.step_runs] == [
        ("train", step["status"], None)
    ]
    assert detail.run.run_id is None
    listed = pipelines.list_runs(store, PipelineRunQuery())
    assert [(p.id, p.run_id) for p in listed.items] == [(ran["id"], None)]
