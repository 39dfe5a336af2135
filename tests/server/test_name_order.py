"""Lists the API sorts by name come in one order on every backend, whatever the server's locale;
a download's name does not depend on the backend's row order either.

Production PostgreSQL servers usually collate text by a language (``en_US``: ``alpha``
before ``Beta``), SQLite by code point (``Beta`` first); the API answers alike on both. The
PostgreSQL store here is a database with an ICU ``en-US`` locale, unlike the test template.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from _postgres import PostgresServer
from sklearn.linear_model import LogisticRegression
from sqlalchemy import update

import jupyter_mlops as mlops
from jupyter_mlops import scheduler
from jupyter_mlops.services import artifacts, datasets, models, runs, schedules, schema
from jupyter_mlops.store import Store, open_store
from jupyter_mlops.store import tables as t
from jupyter_mlops.store.runs import load_run
from tests.conftest import BACKENDS
from tests.server.conftest import notebook

NAMES = ["gamma", "Zeta", "alpha", "Beta"]
CODE_POINT_ORDER = ["Beta", "Zeta", "alpha", "gamma"]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, store_dir: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        lite = open_store(f"sqlite:///{store_dir}/.mlops/mlops.db", str(store_dir / "objects"))
        try:
            yield lite
        finally:
            lite.close()
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    name = f"icu_{uuid.uuid4().hex[:12]}"
    with server.connect() as conn:
        # A language locale must be created from template0; open_store migrates it.
        conn.execute(
            f"CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu "
            "ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
        )
    uri = server.url(name)
    opened = open_store(uri, str(store_dir / "objects"))
    try:
        with opened.read() as conn:
            ordered = [r[0] for r in conn.exec_driver_sql(
                "SELECT n FROM (VALUES ('Beta'), ('alpha')) AS v(n) ORDER BY n"
            )]  # fmt: skip
        assert ordered == ["alpha", "Beta"], "the database should sort by language"
        yield opened
    finally:
        opened.close()
        server.drop_database(uri)


def test_runs_ordered_by_a_text_key_sort_by_code_point(store: Store) -> None:
    for name in NAMES:
        with mlops.start_run(name, experiment="names", store=store) as run:
            run.log_param("p", name)
            run.set_tag("t", name)

    def page(order: str) -> list[str]:
        query = schema.RunQuery(experiment=["names"], order_by=[order])
        return [r.name for r in runs.search(store, query).items]

    assert page("name") == page("params.p") == page("tags.t") == CODE_POINT_ORDER
    assert page("name desc") == page("params.p desc") == CODE_POINT_ORDER[::-1]


def test_models_datasets_and_schedules_are_listed_by_code_point(
    store: Store, store_dir: Path
) -> None:
    X, y = [[0.0], [1.0], [0.0], [1.0]], [0, 1, 0, 1]
    notebook(store_dir / "job.ipynb", "x = 1")
    for name in NAMES:
        with mlops.start_run(experiment="models", store=store) as run:
            run.log_model(LogisticRegression().fit(X, y), "model")
        mlops.models.register(run.id, name, store=store)
        (store_dir / f"{name}.csv").write_text("a\n1\n")
        mlops.data.add(str(store_dir / f"{name}.csv"), name, store=store)
        scheduler.add(name, cron="0 6 * * *", notebook="job.ipynb", store=store)
        mlops.models.set_tag(NAMES[0], 1, name, "x", store=store)
        mlops.data.tag(NAMES[0], name, "x", store=store)
    assert [m.name for m in models.list_models(store).items] == CODE_POINT_ORDER
    assert [d.name for d in datasets.list_datasets(store).items] == CODE_POINT_ORDER
    assert [s.name for s in schedules.list_schedules(store).items] == CODE_POINT_ORDER
    assert list(models.get_version(store, NAMES[0], 1).tags) == CODE_POINT_ORDER
    assert list(datasets.get_version(store, NAMES[0], 1).tags) == CODE_POINT_ORDER
    # The Python API (and the CLI and magics over it) lists in the same order.
    assert list(mlops.models.list_models(store=store)["name"]) == CODE_POINT_ORDER
    assert list(mlops.data.list(store=store)["name"]) == CODE_POINT_ORDER
    assert [s.name for s in scheduler.list_schedules(store=store)] == CODE_POINT_ORDER
    assert list(mlops.data.get(f"{NAMES[0]}@1", store=store).tags) == CODE_POINT_ORDER


def test_bytes_logged_by_several_runs_download_under_the_first_name(store: Store) -> None:
    content = b"same bytes\n"
    for name in ("late", "early"):
        with mlops.start_run(name, store=store) as run:
            run.log_artifact(content, f"{name}.txt")
    (info,) = [a for a in load_run(store, run.id).artifacts if a.path == "early.txt"]
    # "early.txt" was written second but recorded as first: the name follows the record.
    with store.write() as conn:
        conn.execute(
            update(t.artifacts).where(t.artifacts.c.path == "early.txt").values(created_at=0.0)
        )
    download = artifacts.prepare_download(store, info.digest)
    assert download.filename == "early.txt"


def test_a_runs_keys_and_artifacts_come_in_code_point_order(store: Store) -> None:
    keys = ["b", "B", "a", "A"]
    with mlops.start_run("keys", store=store) as run:
        for key in keys:
            run.log_param(key, key)
            run.set_tag(key, key)
            run.log_metric(key, 1.0)
            run.log_artifact(key.encode(), f"{key}.txt")
    detail = runs.detail(store, run.id, root=Path.cwd())
    assert list(detail.params) == list(detail.metrics) == ["A", "B", "a", "b"]
    assert [k for k in detail.tags if len(k) == 1] == ["A", "B", "a", "b"]
    assert [a.path for a in detail.artifacts] == ["A.txt", "B.txt", "a.txt", "b.txt"]
