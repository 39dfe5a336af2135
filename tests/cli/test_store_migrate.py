"""`jupyter-mlops store migrate`: a laptop store copied into a team store (SQLite or
PostgreSQL), objects verified, idempotent, and refusing what would mix two stores."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from sqlalchemy import select

import jupyter_mlops as mlops
from jupyter_mlops import models, scheduler
from jupyter_mlops.pipelines import records as pipeline_records
from jupyter_mlops.store import Store, open_store
from jupyter_mlops.store import tables as t

from .conftest import Result

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
    prun = pipeline_records.create_pipeline_run(
        store, name="tiny", spec_path="pipeline.yaml", spec_digest="0" * 64,
        pipeline_version="1" * 64, env=None, run_id=run.id, params={}, options={},
    )  # fmt: skip
    pipeline_records.add_step_run(store, prun, "train", status="ok", run_id=run.id)
    pipeline_records.end_pipeline_run(store, prun, "ok", None)
    (project / "nb.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4,
                                                  "nbformat_minor": 5}))  # fmt: skip
    scheduler.add("nightly", notebook="nb.ipynb", cron="0 2 * * *", store=store)


def rows(store: Store) -> dict[str, list[tuple]]:
    out = {}
    with store.read() as conn:
        for table in t.metadata.sorted_tables:
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
    with team.write() as conn:
        conn.execute(t.metrics.delete().where(t.metrics.c.step > 0))
    resumed = cli("store", "migrate", "--to", store_uri, "--artifacts-to", str(team_objects),
                  "--json")  # fmt: skip
    assert resumed.code == 0, resumed.err
    copied = {item["table"]: item["copied"] for item in json.loads(resumed.out)["tables"]}
    assert copied["metrics"] == 2 and sum(copied.values()) == 2
    assert rows(team)["metrics"] == rows(store)["metrics"]
    team.close()


def test_a_target_with_other_records_under_the_same_ids_is_refused_untouched(
    project: Path, cli: Cli, store: Store, store_uri: str, tmp_path: Path
) -> None:
    fill(store, project)
    team = open_store(store_uri, str(tmp_path / "team-objects"))
    with mlops.start_run("someone-else", experiment="theirs", store=team):
        pass
    before = rows(team)
    done = cli("store", "migrate", "--to", store_uri)
    assert done.code == 2
    assert "already holds different records under the same ids: experiments id=1" in done.err
    assert "Nothing was copied" in done.err
    assert rows(team) == before
    team.close()


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
