"""Opening a store: schema migrations, the up-to-date shortcut, and SQLite settings."""

from __future__ import annotations

import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, insert, select, text

import jupyter_mlops.store.engine as engine_module
from jupyter_mlops.errors import MlopsUsageError, StoreError
from jupyter_mlops.store import Store, open_store
from jupyter_mlops.store import runs as q
from jupyter_mlops.store import tables as t
from jupyter_mlops.store.engine import current_revision, make_engine, upgrade
from jupyter_mlops.store.migrations import HEAD_REVISION

MIGRATIONS = Path(engine_module.__file__).parent / "migrations"


def alembic_config() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def all_revisions() -> list[str]:
    return [rev.revision for rev in reversed(list(script().walk_revisions()))]


def on_this_dialect(dialect: str) -> Any:
    """Alembic's filter leaving out the indexes only another dialect has (its comparison
    does not read an index's ``ddl_if``)."""
    elsewhere = set().union(*(v for k, v in t.DIALECT_INDEXES.items() if k != dialect))

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        return not (type_ == "index" and name in elsewhere)

    return include


def test_head_revision_constant_is_alembics_head() -> None:
    assert script().get_heads() == [HEAD_REVISION]


def test_fresh_database_migrated_by_alembic_matches_the_tables_module(make_store_uri) -> None:
    engine = make_engine(make_store_uri("fresh", migrated=False))
    upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_object": on_this_dialect(engine.dialect.name),
            },
        )
        assert compare_metadata(context, t.metadata) == []
    engine.dispose()


def test_opening_an_up_to_date_store_again_changes_nothing(tmp_path: Path, store_uri: str) -> None:
    uri = store_uri
    first = open_store(uri, str(tmp_path / "objects"))
    with first.write() as conn:
        experiment_id = q.get_or_create_experiment(conn, "kept")
    first.close()

    second = open_store(uri, str(tmp_path / "objects"))
    assert current_revision(second.engine) == HEAD_REVISION
    with second.read() as conn:
        names = conn.execute(select(t.experiments.c.id, t.experiments.c.name)).all()
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    assert [tuple(row) for row in names] == [(experiment_id, "kept")]
    assert [tuple(row) for row in versions] == [(HEAD_REVISION,)]
    second.close()


def test_opening_an_up_to_date_store_does_not_load_alembic(tmp_path: Path, store_uri: str) -> None:
    uri = store_uri
    open_store(uri, str(tmp_path / "objects")).close()
    code = (
        "import sys\n"
        "from jupyter_mlops.store import open_store\n"
        f"open_store({uri!r}, {str(tmp_path / 'objects')!r}).close()\n"
        "print('alembic.command' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("revision", all_revisions())
def test_store_created_at_an_older_revision_opens_with_this_code(
    tmp_path: Path, make_store_uri, revision: str
) -> None:
    # An older release migrated the file up to `revision` and wrote data; this code opens it.
    uri = make_store_uri("old", migrated=False)
    engine = make_engine(uri)
    cfg = alembic_config()
    with engine.connect().execution_options(mlops_write=True) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        conn.execute(insert(t.experiments).values(name="from-old", created_at=time.time()))
        conn.commit()
    engine.dispose()
    engine = make_engine(uri)
    assert current_revision(engine) == revision
    engine.dispose()

    store = open_store(uri, str(tmp_path / "objects"))
    assert current_revision(store.engine) == HEAD_REVISION
    with store.read() as conn:
        assert conn.execute(select(t.experiments.c.name)).scalars().all() == ["from-old"]
    store.close()


def test_downgraded_store_is_migrated_forward_again(tmp_path: Path, store_uri: str) -> None:
    store = open_store(store_uri, str(tmp_path / "objects"))
    first = all_revisions()[0]
    cfg = alembic_config()
    with store.engine.connect().execution_options(mlops_write=True) as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, first)
        conn.commit()
    assert current_revision(store.engine) == first
    store.close()

    reopened = open_store(store_uri, str(tmp_path / "objects"))
    assert current_revision(reopened.engine) == HEAD_REVISION
    engine = reopened.engine
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": on_this_dialect(engine.dialect.name)}
        )
        assert compare_metadata(context, t.metadata) == []
    reopened.close()


def test_store_written_by_a_newer_release_is_refused_with_a_clear_error(
    tmp_path: Path, store_uri: str
) -> None:
    store = open_store(store_uri, str(tmp_path / "objects"))
    with store.write() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    store.close()
    with pytest.raises(StoreError, match=r"revision '9999'.*newer jupyter-mlops"):
        open_store(store_uri, str(tmp_path / "objects"))


@pytest.mark.parametrize("backend", ["sqlite"])
def test_sqlite_store_uses_wal_and_a_busy_timeout(store: Store) -> None:
    with store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10_000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("not a url", "Invalid store URI 'not a url'"),
        ("", "Invalid store URI ''"),
    ],
)
def test_invalid_store_uri_is_a_usage_error(uri: str, message: str) -> None:
    with pytest.raises(MlopsUsageError, match=message):
        make_engine(uri)


# -- revision 0011: covering indexes for param and tag filters (SQLite) -----------------------


def _indexes(store: Store, table: str) -> set[str]:
    from sqlalchemy import inspect

    with store.engine.connect() as conn:
        return {str(ix["name"]) for ix in inspect(conn).get_indexes(table)}


def _migrate(store: Store, revision: str, *, down: bool) -> None:
    cfg = alembic_config()
    with store.engine.connect().execution_options(mlops_write=True) as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)
        conn.commit()


def test_revision_0011_upgrades_and_downgrades_the_key_value_indexes_keeping_every_value(
    tmp_path: Path, store_uri: str, backend: str
) -> None:
    import secrets

    from jupyter_mlops.store.search import search_runs

    store = open_store(store_uri, str(tmp_path / "objects"))
    # Values past PostgreSQL's 2,704-byte B-tree entry (random: they do not compress), which
    # is why PostgreSQL keeps the (key) index: both backends must take them.
    long_param, long_tag = secrets.token_hex(1500), secrets.token_hex(2500)
    with store.write() as conn:
        exp = q.get_or_create_experiment(conn, "e")
        for i, (param, tag) in enumerate((("0.5", "risk"), (long_param, long_tag))):
            q.insert_run(
                conn,
                {
                    "id": f"{i:032x}",
                    "name": f"r{i}",
                    "experiment_id": exp,
                    "status": "finished",
                    "start_time": float(i),
                    "heartbeat": float(i),
                },
            )
            q.write_batch(
                store, conn, f"{i:032x}", params={"C": param}, tags={"team": tag}, metrics=[]
            )

    def found(filter: str) -> list[str]:
        return list(search_runs(store, filter, experiments="e")["name"])

    covering = {"params": "ix_params_key_value_run", "tags": "ix_tags_key_value_run"}
    by_key = {"params": "ix_params_key", "tags": "ix_tags_key"}
    newest = covering if backend == "sqlite" else by_key
    for table in ("params", "tags"):
        assert newest[table] in _indexes(store, table)
    assert found("params.C = '0.5' and tags.team = 'risk'") == ["r0"]
    assert found(f"params.C = '{long_param}' and tags.team = '{long_tag}'") == ["r1"]

    _migrate(store, "0010", down=True)
    for table in ("params", "tags"):
        assert by_key[table] in _indexes(store, table)
        assert covering[table] not in _indexes(store, table)
    assert found("params.C = '0.5' and tags.team = 'risk'") == ["r0"]
    assert found(f"params.C = '{long_param}'") == ["r1"]

    _migrate(store, "head", down=False)
    assert current_revision(store.engine) == HEAD_REVISION
    for table in ("params", "tags"):
        assert newest[table] in _indexes(store, table)
        assert (by_key[table] in _indexes(store, table)) == (backend != "sqlite")
    assert found("params.C = '0.5' and tags.team = 'risk'") == ["r0"]
    assert found(f"tags.team = '{long_tag}'") == ["r1"]
    store.close()


# -- revision 0012: metric histories in chunks ---------------------------------------------


def test_revision_0012_moves_every_point_into_chunks_and_back_in_the_order_logged(
    tmp_path: Path, store_uri: str
) -> None:
    from jupyter_mlops.store.metric_chunks import MAX_CHUNK
    from jupyter_mlops.store.metric_history import metric_history

    store = open_store(store_uri, str(tmp_path / "objects"))
    runs = [f"{i:032x}" for i in range(3)]
    with store.write() as conn:
        exp = q.get_or_create_experiment(conn, "e")
        for i, run_id in enumerate(runs):
            q.insert_run(
                conn,
                {
                    "id": run_id,
                    "name": f"r{i}",
                    "experiment_id": exp,
                    "status": "finished",
                    "start_time": float(i),
                    "heartbeat": float(i),
                },
            )
    _migrate(store, "0011", down=True)
    # Rows as revision 0011 kept them: NaN as NULL with is_nan, a step logged twice at the
    # same time (the order logged decides), keys interleaved, one history longer than a chunk.
    logged = [
        (runs[0], "loss", 1, 0.5, False, 2.0),
        (runs[0], "acc", 0, 0.1, False, 1.0),
        (runs[0], "loss", 0, None, True, 1.0),
        (runs[0], "loss", 1, 0.4, False, 2.0),
        (runs[1], "loss", 0, 1.5, False, 3.0),
    ]
    logged += [(runs[2], "long", s, s / 2, False, float(s)) for s in range(MAX_CHUNK + 5)]
    columns = ["run_id", "key", "step", "value", "is_nan", "timestamp"]
    with store.engine.connect().execution_options(mlops_write=True) as conn:
        conn.execute(
            text(
                'INSERT INTO metrics (run_id, "key", step, value, is_nan, timestamp) '
                "VALUES (:run_id, :key, :step, :value, :is_nan, :timestamp)"
            ),
            [dict(zip(columns, row, strict=True)) for row in logged],
        )
        conn.commit()

    _migrate(store, "head", down=False)
    assert current_revision(store.engine) == HEAD_REVISION
    loss = metric_history(store, runs[0], "loss")
    assert [(p.step, p.timestamp) for p in loss] == [(0, 1.0), (1, 2.0), (1, 2.0)]
    assert math.isnan(loss[0].value) and [p.value for p in loss[1:]] == [0.5, 0.4]
    assert [p.value for p in metric_history(store, runs[0], "acc")] == [0.1]
    assert [p.value for p in metric_history(store, runs[1], "loss")] == [1.5]
    long = metric_history(store, runs[2], "long")
    assert [p.step for p in long] == list(range(MAX_CHUNK + 5))
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(t.metric_chunks)).scalar() == 5
    assert "metrics" not in _tables(store)

    _migrate(store, "0011", down=True)
    assert "metric_chunks" not in _tables(store)
    with store.engine.connect() as conn:
        back = conn.execute(
            text(f"SELECT {', '.join(columns)} FROM metrics ORDER BY id".replace("key", '"key"'))
        ).all()
    # Each run's points in the order logged (a run's metrics one key after another).
    assert sorted(back, key=lambda r: (r[0], r[1])) == sorted(
        [tuple(r) for r in logged], key=lambda r: (r[0], r[1])
    )
    _migrate(store, "head", down=False)
    assert [p.step for p in metric_history(store, runs[2], "long")] == list(range(MAX_CHUNK + 5))
    store.close()


def _tables(store: Store) -> set[str]:
    from sqlalchemy import inspect

    with store.engine.connect() as conn:
        return set(inspect(conn).get_table_names())
