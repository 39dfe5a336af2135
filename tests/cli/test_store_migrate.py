"""`jupyter-mlops store migrate`: a laptop store copied into a team store (SQLite or
PostgreSQL), objects verified, idempotent, merged into a store holding other records, and
refusing to migrate a store into itself. Merging two laptops: test_store_merge.py."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from sqlalchemy import select

import jupyter_mlops as mlops
from jupyter_mlops import models, scheduler
from jupyter_mlops.store import Store, open_store
from jupyter_mlops.store import mlflow_api as mlflow_records
from jupyter_mlops.store import pipelines as pipeline_records
from jupyter_mlops.store import runs as q
from jupyter_mlops.store import tables as t
from jupyter_mlops.store.metric_chunks import insert_points, read_curves
from tests.conftest import Result

Cli = Callable[..., Result]


def fill(store: Store, project: Path) -> None:
    """Something of everything: a run with an artifact, a dataset, a promoted model, a
    pipeline run, a schedule."""
    with mlops.start_run("trained", experiment="churn", store=store) as run:
        run.log_params({"C": 0.5})
        for step in range(3):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
        (project / "notes.txt").write_text("hello team")
        run.log_artifact(str(project / "notes.txt"))
    mlops.data.add(pd.DataFrame({"x": [1, 2, 3]}), "customers", store=store)
    fitted = DummyClassifier().fit([[0], [1]], [0, 1])
    models.register(fitted, "churn", store=store)
    models.promote("churn", 1, to="staging", store=store)
    # Tags an MLflow client set on the experiment and on the registered model.
    churn = mlflow_records.experiment(store, name="churn").id
    mlflow_records.set_experiment_tags(store, churn, {"mlflow.note.content": "the churn runs"})
    mlflow_records.set_registered_model_tags(store, "churn", {"task": "churn"})
    prun = pipeline_records.create_pipeline_run(
        store, name="tiny", spec_path="pipeline.yaml", spec_digest="0" * 64,
        pipeline_version="1" * 64, env=None, run_id=run.id, params={}, options={},
    )  # fmt: skip
    pipeline_records.add_step_run(store, prun, "train", status="ok", run_id=run.id)
    pipeline_records.end_pipeline_run(store, prun, "ok", None)
    (project / "nb.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4,
                                                  "nbformat_minor": 5}))  # fmt: skip
    scheduler.add("nightly", notebook="nb.ipynb", cron="0 2 * * *", store=store)


# The store's identity and the id map of merges: bookkeeping, not records to compare.
OWN = {t.store_meta.name, t.migrated_ids.name}


def rows(store: Store) -> dict[str, list[tuple]]:
    out = {}
    with store.read() as conn:
        for table in t.metadata.sorted_tables:
            if table.name in OWN:
                continue
            if table is t.metric_chunks:  # points compared, whichever rows hold them
                run_ids = conn.execute(select(t.runs.c.id)).scalars().all()
                out["metrics"] = sorted(
                    (run_id, key, step, value, ts)
                    for (run_id, key), c in read_curves(conn, run_ids).items()
                    for step, value, ts in zip(c.steps, c.values, c.timestamps, strict=True)
                )
                continue
            order = list(table.primary_key.columns)
            out[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
    return out


def test_migrate_copies_everything_verified_and_a_rerun_copies_nothing(
    project: Path, cli: Cli, store: Store, store_uri: str, tmp_path: Path
) -> None:
    fill(store, project)
    team_objects = tmp_path / "team-objects"
    done = cli("store", "migrate", "--to", store_uri, "--artifacts-to", str(team_objects))
    assert done.code == 0, done.err
    assert "rows copied" in done.out and "verified" in done.out
    assert "runs: 1 copied, 0 already there" in done.err

    team = open_store(store_uri, str(team_objects))
    try:
        assert rows(team) == rows(store)
        digests = set(store.objects.iter_digests())
        assert digests and set(team.objects.iter_digests()) == digests
        # The team store works on its own: search, the promoted model, new ids.
        found = mlops.search_runs(store=team, filter="metrics.loss < 0.5")
        assert list(found["name"]) == ["trained"] and list(found["params.C"]) == ["0.5"]
        staged = models.load("models:/churn@staging", store=team)
        assert staged.predict([[0]]).shape == (1,)
        models.register(DummyClassifier().fit([[0], [1]], [0, 1]), "churn", store=team)
        assert models.get("churn", store=team).version == 2
        with mlops.start_run("after", experiment="new-on-team", store=team):
            pass
        with team.read() as conn:
            ids = conn.execute(select(t.experiments.c.id).order_by(t.experiments.c.id)).all()
        assert len(ids) == len({row[0] for row in ids}) == len(rows(store)["experiments"]) + 1
    finally:
        team.close()

    again = cli("store", "migrate", "--to", store_uri, "--artifacts-to", str(team_objects),
                "--json")  # fmt: skip
    assert again.code == 0, again.err
    report = json.loads(again.out)
    assert report["rows_copied"] == 0
    assert report["objects_copied"] == 0 and report["objects_present"] == len(digests)

    # A copy interrupted after some batches is finished by running it again.
    team = open_store(store_uri, str(team_objects))
    with team.write() as conn:  # only the first of the three points came over
        run_id = conn.execute(select(t.runs.c.id).where(t.runs.c.name == "trained")).scalar()
        conn.execute(t.metric_chunks.delete())
        insert_points(
            conn, [(run_id, [(k, s, v, ts) for _, k, s, v, ts in rows(store)["metrics"][:1]])]
        )
    resumed = cli("store", "migrate", "--to", store_uri, "--artifacts-to", str(team_objects),
                  "--json")  # fmt: skip
    assert resumed.code == 0, resumed.err
    copied = {item["table"]: item["copied"] for item in json.loads(resumed.out)["tables"]}
    assert copied["metrics"] == 2 and sum(copied.values()) == 2
    assert rows(team)["metrics"] == rows(store)["metrics"]
    team.close()


def test_a_target_with_other_records_under_the_same_ids_gets_both(
    project: Path, cli: Cli, store: Store, store_uri: str, tmp_path: Path
) -> None:
    fill(store, project)
    team = open_store(store_uri, str(tmp_path / "team-objects"))
    with mlops.start_run("someone-else", experiment="theirs", store=team):
        pass
    before = rows(team)
    done = cli("store", "migrate", "--to", store_uri)
    assert done.code == 0, done.err
    after = rows(team)
    # The team's own records are untouched; the laptop's come in under fresh ids.
    assert all(set(before[name]) <= set(after[name]) for name in before)
    with team.read() as conn:
        experiments = {
            n: i for n, i in conn.execute(select(t.experiments.c.name, t.experiments.c.id))
        }
    assert (experiments["theirs"], experiments["churn"]) == (1, 2)
    found = mlops.search_runs(store=team, experiments=["churn"])
    assert list(found["name"]) == ["trained"] and list(found["params.C"]) == ["0.5"]
    assert {"trained", "someone-else"} <= set(mlops.search_runs(store=team)["name"])
    team.close()


def test_a_target_that_is_a_copy_of_the_store_is_refused(
    project: Path, cli: Cli, store: Store, tmp_path: Path
) -> None:
    with mlops.start_run("trained", experiment="churn", store=store):
        pass
    assert cli("store", "migrate", "--to", f"sqlite:///{tmp_path}/team.db").code == 0
    copy = tmp_path / "copy.db"
    with (
        closing(sqlite3.connect(project / ".mlops" / "mlops.db")) as db,
        closing(sqlite3.connect(copy)) as out,
    ):
        db.backup(out)  # a copy of the file, as `cp` after a checkpoint would make
    done = cli("store", "migrate", "--to", f"sqlite:///{copy}")
    assert done.code == 2
    assert "is a copy of the store being migrated" in done.err


def test_migrating_a_store_into_itself_is_a_usage_error(project: Path, cli: Cli) -> None:
    done = cli("store", "migrate", "--to", f"sqlite:///{project}/.mlops/../.mlops/mlops.db")
    assert done.code == 2
    assert "is the store being migrated; give another store URI" in done.err


@pytest.mark.parametrize(
    ("uri", "code", "message"),
    [
        ("postgresql+psycopg://nobody@127.0.0.1:1/mlops", 1, "Cannot open the store"),
        ("not a url", 2, "Invalid store URI 'not a url'"),
    ],
)
def test_a_bad_target_is_a_clear_error(
    project: Path, cli: Cli, uri: str, code: int, message: str
) -> None:
    done = cli("store", "migrate", "--to", uri)
    assert (done.code, done.out) == (code, "")
    assert message in done.err and len(done.err.strip().splitlines()) == 1


def test_info_and_upgrade(project: Path, cli: Cli, store: Store) -> None:
    with mlops.start_run(store=store):
        pass
    info = cli("store", "info", "--json")
    assert info.code == 0
    data = json.loads(info.out)
    assert data["dialect"] == "sqlite" and data["counts"]["runs"] == 1
    upgraded = cli("store", "upgrade")
    assert upgraded.code == 0 and "schema revision" in upgraded.out


def test_what_the_team_deleted_since_is_copied_again_whole(
    project: Path, cli: Cli, store: Store, store_uri: str, tmp_path: Path
) -> None:
    fill(store, project)
    objects = str(tmp_path / "team-objects")
    assert cli("store", "migrate", "--to", store_uri, "--artifacts-to", objects).code == 0
    team = open_store(store_uri, objects)
    (trained,) = mlops.search_runs(store=team, experiments=["churn"])["run_id"]
    registered = models.get("churn", 1, store=team).run_id  # the run holding the model
    assert registered is not None
    for run_id in (trained, registered):
        q.delete_run(team, run_id)
    scheduler.remove("nightly", store=team)

    again = cli("store", "migrate", "--to", store_uri, "--artifacts-to", objects, "--json")
    assert again.code == 0, again.err
    copied = {item["table"]: item["copied"] for item in json.loads(again.out)["tables"]}
    assert (copied["runs"], copied["metrics"], copied["logged_models"]) == (2, 3, 1)
    assert copied["schedules"] == 1 and copied["model_versions"] == 0
    assert mlops.get_run(trained, store=team).params == {"C": "0.5"}
    assert models.load("models:/churn@staging", store=team).predict([[0]]).shape == (1,)
    assert scheduler.get("nightly", store=team).cron == "0 2 * * *"
    team.close()


def test_a_run_still_going_at_a_migration_comes_over_finished_at_the_next(
    project: Path, cli: Cli, store: Store, store_uri: str, tmp_path: Path
) -> None:
    run = mlops.start_run("long", experiment="churn", store=store)
    run.log_metric("loss", 1.0, step=0)
    run.flush()
    objects = str(tmp_path / "team-objects")
    assert cli("store", "migrate", "--to", store_uri, "--artifacts-to", objects).code == 0
    run.log_metric("loss", 0.5, step=1)
    run.end()

    again = cli("store", "migrate", "--to", store_uri, "--artifacts-to", objects)
    assert again.code == 0, again.err
    assert "runs: 0 copied, 1 already there, 1 updated (newer in the source)" in again.err
    assert "metrics: 1 copied, 1 already there" in again.err
    team = open_store(store_uri, objects)
    there = mlops.get_run(run.id, store=team)
    assert (there.status, there.metrics) == ("finished", {"loss": 0.5})
    history = mlops.get_metric_history(run.id, "loss", store=team)
    assert [(p.step, p.value) for p in history] == [(0, 1.0), (1, 0.5)]
    team.close()
