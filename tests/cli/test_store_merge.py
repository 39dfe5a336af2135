"""`jupyter-mlops store migrate` merging two laptops into one team store (SQLite or
PostgreSQL): one experiment, shared and appended dataset versions, renumbered model versions
that say where they came from, the team's stages kept, idempotent and resumable."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from sqlalchemy import func, select

import jupyter_mlops as mlops
from jupyter_mlops import models, scheduler
from jupyter_mlops.store import Store, merge, open_store
from jupyter_mlops.store import tables as t
from jupyter_mlops.store.migrate import migrate_store
from tests.conftest import Result

Cli = Callable[..., Result]


@dataclass
class Laptop:
    store: Store
    run_id: str
    digests: tuple[str, str]  # customers v1, v2


def work(store: Store, who: str, constant: int, column: list[int]) -> Laptop:
    """A run in "churn" with params, metrics, an artifact and a model registered as churn v1
    and promoted to staging; dataset customers v1 (the same on every laptop) and v2 (not)."""
    v1 = mlops.data.add(pd.DataFrame({"x": [1, 2, 3]}), "customers", store=store)
    v2 = mlops.data.add(pd.DataFrame({"x": column}), "customers", store=store)
    with mlops.start_run(f"{who}-run", experiment="churn", store=store) as run:
        run.log_params({"laptop": who})
        for step in range(3):
            run.log_metric("loss", constant + 1.0 / (step + 1), step=step)
        run.log_artifact(f"notes of {who}".encode(), "notes.txt")
        fitted = DummyClassifier(strategy="constant", constant=constant).fit([[0], [1]], [0, 1])
        models.register(fitted, "churn", store=store)
    models.promote("churn", 1, to="staging", reason=f"{who} likes it", store=store)
    scheduler.add("weekly", notebook="nb.ipynb", cron="0 1 * * 0", store=store)  # the same
    scheduler.add("nightly", notebook="nb.ipynb", cron=f"0 {constant} * * *", store=store)
    return Laptop(store, run.id, (v1.digest, v2.digest))


def laptop(tmp_path: Path, who: str, constant: int, column: list[int]) -> Laptop:
    store = open_store(f"sqlite:///{tmp_path}/{who}/mlops.db", str(tmp_path / who / "objects"))
    return work(store, who, constant, column)


def counts(store: Store) -> dict[str, int]:
    with store.read() as conn:
        return {
            table.name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for table in t.metadata.sorted_tables
            if table.name != t.store_meta.name
        }


@pytest.fixture(autouse=True)
def notebook(project: Path) -> None:
    (project / "nb.ipynb").write_text(
        json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )


def test_two_laptops_merge_into_one_team_store(
    project: Path, cli: Cli, store: Store, store_uri: str, tmp_path: Path
) -> None:
    a = laptop(tmp_path, "a", 0, [4, 5])
    b = work(store, "b", 1, [6, 7, 8])  # the project's store: migrated with the CLI
    team_objects = str(tmp_path / "team-objects")
    first = migrate_store(a.store, store_uri, artifacts_to=team_objects)
    assert first.renumbered == [] and first.skipped == [] and first.rows_merged == 0

    done = cli("store", "migrate", "--to", store_uri, "--artifacts-to", team_objects)
    assert done.code == 0, done.err
    assert "runs: 1 copied, 0 already there" in done.err, done.err
    assert "pipeline_promotions:" not in done.err  # empty in the source: no line
    assert "experiments: 0 copied, 0 already there, 1 merged onto existing" in done.err
    assert "model churn v1 → v2" in done.out and "dataset customers v2 → v3" in done.out
    assert "stage churn@staging: the target's v1 kept; the source's (now v2)" in done.out
    assert "schedules: 0 copied, 0 already there, 1 merged onto existing, 1 skipped" in done.err
    assert "schedule nightly: the target's schedule of that name kept" in done.out

    team = open_store(store_uri, team_objects)
    try:
        # One experiment holds both laptops' runs, readable through the normal API.
        found = mlops.search_runs("params.laptop != ''", experiments=["churn"], store=team)
        assert sorted(found["params.laptop"]) == ["a", "b"]
        for who, source in (("a", a), ("b", b)):
            run = mlops.get_run(source.run_id, store=team)
            assert run.experiment == "churn" and run.params == {"laptop": who}
            history = mlops.get_metric_history(run.id, "loss", store=team)
            assert [p.step for p in history] == [0, 1, 2]
            (notes,) = [x for x in run.artifacts if x.path == "notes.txt"]
            with team.objects.open(notes.digest) as fh:
                assert fh.read() == f"notes of {who}".encode()
        with team.read() as conn:
            names = conn.execute(select(t.experiments.c.name)).scalars().all()
        assert sorted(names).count("churn") == 1

        # customers v1 is shared; each laptop's own v2 is there, b's as v3.
        assert [mlops.data.get(f"customers@{n}", store=team).digest for n in (1, 2, 3)] == [
            a.digests[0], a.digests[1], b.digests[1]
        ]  # fmt: skip
        assert a.digests[0] == b.digests[0]
        theirs_data = mlops.data.get("customers@3", store=team)
        assert list(theirs_data.to_pandas()["x"]) == [6, 7, 8]
        assert theirs_data.tags == {"mlops.migrated_from": f"{store.uri} v2"}

        # b's churn v1 is v2 on the team, tagged with where it came from.
        mine, theirs = models.get("churn", 1, store=team), models.get("churn", 2, store=team)
        assert (mine.run_id, theirs.run_id) == (a.run_id, b.run_id)
        assert theirs.tags["mlops.migrated_from"] == f"{store.uri} v1"
        assert theirs.card["version"] == 2
        assert (mine.stages, theirs.stages) == (["staging"], [])
        assert models.load("models:/churn@staging", store=team).predict([[0]])[0] == 0
        assert models.load("models:/churn/2", store=team).predict([[0]])[0] == 1
        # Both promotions are in the audit trail, b's pointing at b's version's new number.
        trail = models.history("churn", store=team)
        assert list(trail["to_version"]) == [1, 2]
        assert list(trail["reason"]) == ["a likes it", "b likes it"]

        # The team store goes on with fresh ids (PostgreSQL sequences included).
        with mlops.start_run("after", experiment="team-only", store=team) as after:
            after.log_metric("loss", 0.1)
        fitted = DummyClassifier().fit([[0], [1]], [0, 1])
        assert models.register(fitted, "churn", store=team).version == 3
        assert mlops.data.add(pd.DataFrame({"x": [9]}), "customers", store=team).version == 4
        assert len(mlops.get_metric_history(after.id, "loss", store=team)) == 1
        assert {s.name: s.cron for s in scheduler.list_schedules(store=team)} == {
            "weekly": "0 1 * * 0", "nightly": "0 0 * * *"
        }  # fmt: skip
    finally:
        team.close()

    # Running b's migration again copies and merges nothing, and still reports the skip.
    again = cli("store", "migrate", "--to", store_uri, "--artifacts-to", team_objects, "--json")
    assert again.code == 0, again.err
    report = json.loads(again.out)
    assert (report["rows_copied"], report["rows_merged"], report["objects_copied"]) == (0, 0, 0)
    assert report["renumbered"] == []
    assert report["skipped"][0] == (
        "stage churn@staging: the target's v1 kept; the source's (now v2) was not applied"
    )
    assert report["skipped"][1].startswith("schedule nightly: the target's schedule")
    runs = {item["table"]: item for item in report["tables"]}["runs"]
    assert (runs["copied"], runs["present"]) == (0, 1)
    a.store.close()


def test_an_interrupted_merge_is_finished_by_running_it_again(
    tmp_path: Path, make_store_uri: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    a = laptop(tmp_path, "a", 0, [4, 5])
    b = laptop(tmp_path, "b", 1, [6, 7, 8])
    with mlops.start_run("more", experiment="other", store=b.store) as run:
        for step in range(7):
            run.log_metric("loss", step, step=step)
    objects = str(tmp_path / "team-objects")
    reference, team = make_store_uri("reference"), make_store_uri("team")
    for uri in (reference, team):
        migrate_store(a.store, uri, artifacts_to=objects)
    migrate_store(b.store, reference, artifacts_to=objects)

    # Small batches, and the copy killed after every third batch until it gets through.
    monkeypatch.setattr(merge, "BATCH", 2)
    monkeypatch.setattr(merge, "RUN_CHUNK", 1)
    written = 0

    def crash(self: merge.Merger, table: object) -> None:
        nonlocal written
        written += 1
        if written % 3 == 0:
            raise KeyboardInterrupt

    monkeypatch.setattr(merge.Merger, "write_hook", crash)
    attempts = 0
    while True:
        attempts += 1
        try:
            migrate_store(b.store, team, artifacts_to=objects)
            break
        except KeyboardInterrupt:
            assert attempts < 100
    assert attempts > 5

    done, expected = open_store(team, objects), open_store(reference, objects)
    try:
        assert counts(done) == counts(expected)
        assert models.get("churn", 2, store=done).tags["mlops.migrated_from"].endswith(" v1")
        assert sorted(mlops.search_runs(store=done)["name"]) == sorted(
            mlops.search_runs(store=expected)["name"]
        )
    finally:
        done.close()
        expected.close()
        a.store.close()
        b.store.close()
