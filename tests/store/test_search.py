from __future__ import annotations

import math
import time
from collections.abc import Iterator, Mapping
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Connection, func, insert, select

from jupyter_mlops.errors import FilterSyntaxError, MlopsUsageError, NotFoundError
from jupyter_mlops.expressions import MAX_DEPTH, MAX_LENGTH, MAX_TERMS, evaluate, parse_filter
from jupyter_mlops.store import Store, open_store, run_cells
from jupyter_mlops.store import tables as t
from jupyter_mlops.store.search import (
    BASE_COLUMNS,
    count_runs,
    get_experiment_ids,
    search_runs,
)

NAN = math.nan
ALPHA, BETA, GAMMA, DELTA, EPSILON = (f"{c * 4}000{i}" + "0" * 24 for i, c in enumerate("abcde", 1))


def experiment_id(conn: Connection, name: str) -> int:
    found = conn.scalar(select(t.experiments.c.id).where(t.experiments.c.name == name))
    if found is not None:
        return int(found)
    result = conn.execute(insert(t.experiments).values(name=name, created_at=0.0))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def add_run(
    conn: Connection,
    run_id: str,
    name: str,
    *,
    experiment: str = "churn",
    status: str = "finished",
    start: float = 0.0,
    end: float | None = None,
    user: str | None = None,
    parent: str | None = None,
    params: Mapping[str, str] = {},
    metrics: Mapping[str, float] = {},
    tags: Mapping[str, str] = {},
) -> None:
    """Insert one run and its latest values straight into the tables."""
    conn.execute(
        insert(t.runs).values(
            id=run_id,
            name=name,
            experiment_id=experiment_id(conn, experiment),
            status=status,
            start_time=start,
            end_time=end,
            # A running run beats now: searches mark runs whose heartbeat stopped as killed.
            heartbeat=time.time() if status == "running" else start,
            user_name=user,
            parent_id=parent,
        )
    )
    for table, values in ((t.params, params), (t.tags, tags)):
        if values:
            rows = [{"run_id": run_id, "key": k, "value": v} for k, v in values.items()]
            conn.execute(insert(table), rows)
    if metrics:
        metric_rows: list[dict[str, Any]] = [
            {
                "run_id": run_id,
                "key": key,
                "value": None if math.isnan(value) else value,
                "is_nan": math.isnan(value),
                "step": 0,
                "timestamp": 0.0,
            }
            for key, value in metrics.items()
        ]
        conn.execute(insert(t.latest_metrics), metric_rows)


def add_five_runs(store: Store) -> None:
    """Five runs in two experiments, with missing and NaN metrics and a missing param."""
    with store.write() as conn:
        add_run(
            conn,
            ALPHA,
            "alpha",
            start=1000,
            end=1010,
            user="ana",
            params={"C": "0.5", "solver": "lbfgs"},
            metrics={"auc": 0.95, "loss": 0.1},
            tags={"owner": "ana"},
        )
        add_run(
            conn,
            BETA,
            "beta",
            start=2000,
            end=2030,
            user="bob",
            params={"C": "1.0"},
            metrics={"auc": 0.85, "loss": NAN},
            tags={"owner": "bob"},
        )
        add_run(
            conn,
            GAMMA,
            "gamma",
            status="failed",
            start=3000,
            end=3020,
            params={"C": "0.5"},
            metrics={"loss": 0.3},
            tags={"owner": "ana", "team": "ml"},
        )
        add_run(
            conn,
            DELTA,
            "delta",
            experiment="fraud",
            status="running",
            start=4000,
            user="ana",
            parent=ALPHA,
            params={"C": "10"},
            metrics={"auc": 0.9},
        )
        add_run(
            conn,
            EPSILON,
            "epsilon-run_1",
            experiment="fraud",
            status="killed",
            start=5000,
            end=5005,
            user="cy",
            metrics={"auc": NAN, "val-loss": 0.2},
        )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def runs(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Store]:
    """A store holding :func:`add_five_runs`, shared by the tests that only read it."""
    folder = tmp_path_factory.mktemp("search")
    server = request.getfixturevalue("postgres") if request.param == "postgresql" else None
    uri = f"sqlite:///{folder}/m.db" if server is None else server.new_database()
    store = open_store(uri, str(folder / "objects"))
    add_five_runs(store)
    yield store
    store.close()
    if server is not None:
        server.drop_database(uri)


def names(frame: pd.DataFrame) -> list[str]:
    return [str(name) for name in frame["name"]]


def test_no_filter_returns_every_run_newest_first(runs: Store) -> None:
    assert names(search_runs(runs)) == ["epsilon-run_1", "delta", "gamma", "beta", "alpha"]


def test_frame_columns_and_types(runs: Store) -> None:
    frame = search_runs(runs, order_by=["start_time asc"])
    assert list(frame.columns) == [
        *BASE_COLUMNS,
        "params.C",
        "params.solver",
        "metrics.auc",
        "metrics.loss",
        "metrics.val-loss",
        "tags.owner",
        "tags.team",
    ]
    alpha = frame.iloc[0]
    assert alpha["run_id"] == ALPHA
    assert alpha["short_id"] == ALPHA[:8]
    assert alpha["experiment"] == "churn"
    assert alpha["status"] == "finished"
    assert alpha["start_time"] == pd.Timestamp(1000, unit="s", tz="UTC")
    assert alpha["end_time"] == pd.Timestamp(1010, unit="s", tz="UTC")
    assert alpha["duration"] == 10.0
    assert alpha["user"] == "ana"
    assert alpha["params.C"] == "0.5"
    assert alpha["metrics.auc"] == 0.95
    assert str(frame["start_time"].dtype).endswith(", UTC]")
    assert frame["duration"].dtype == "float64"
    assert frame["metrics.auc"].dtype == "float64"
    assert frame["params.C"].dtype == "str"
    assert frame["tags.owner"].dtype == "str"
    delta = frame.set_index("name").loc["delta"]
    assert pd.isna(delta["end_time"])
    assert math.isnan(delta["duration"])
    assert delta["parent_id"] == ALPHA
    assert pd.isna(delta["tags.owner"])


def test_nan_and_missing_metrics_are_nan(runs: Store) -> None:
    frame = search_runs(runs).set_index("name")
    auc, loss = frame["metrics.auc"], frame["metrics.loss"]
    assert math.isnan(loss["beta"])  # logged NaN
    assert math.isnan(auc["epsilon-run_1"])  # logged NaN
    assert math.isnan(auc["gamma"])  # never logged
    assert frame["metrics.val-loss"]["epsilon-run_1"] == 0.2
    assert frame["params.C"].isna()["epsilon-run_1"]


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ("metrics.auc > 0.88", {"alpha", "delta"}),
        ("metrics.auc >= 0.85 and params.C = '0.5'", {"alpha"}),
        ("metrics.auc in (0.95, 0.9)", {"alpha", "delta"}),
        ("metrics.auc not in (0.95, 0.9)", {"beta", "epsilon-run_1"}),
        # NaN differs from every number and orders with none, as in pandas
        ("metrics.auc != 0.95", {"beta", "delta", "epsilon-run_1"}),
        ("metrics.loss < 1", {"alpha", "gamma"}),
        # IS NULL means never logged; a logged NaN is present
        ("metrics.auc is null", {"gamma"}),
        ("metrics.auc is not null", {"alpha", "beta", "delta", "epsilon-run_1"}),
        ("metrics.`val-loss` < 0.5", {"epsilon-run_1"}),
        # not is the complement, so runs without the metric match
        ("not metrics.auc > 0.88", {"beta", "gamma", "epsilon-run_1"}),
        # params and tags compare as text
        ("params.C = '0.5'", {"alpha", "gamma"}),
        ("params.C = 0.5", {"alpha", "gamma"}),
        ("params.C = '0.50'", set()),
        ("params.C = 10", {"delta"}),
        ("params.C != '0.5'", {"beta", "delta"}),
        ("params.C not in ('0.5')", {"beta", "delta"}),
        ("params.C is null", {"epsilon-run_1"}),
        ("params.solver like 'lb%'", {"alpha"}),
        ("tags.owner not like 'a%'", {"beta"}),
        ("tags.team is null", {"alpha", "beta", "delta", "epsilon-run_1"}),
        # and / or / parentheses / not
        ("params.C = '0.5' or tags.owner = 'bob'", {"alpha", "beta", "gamma"}),
        ("(params.C = '0.5' or tags.owner = 'bob') and status = 'finished'", {"alpha", "beta"}),
        ("params.C = '0.5' or tags.owner = 'bob' and status = 'failed'", {"alpha", "gamma"}),
        ("not (params.C = '0.5' or metrics.auc > 0.88)", {"beta", "epsilon-run_1"}),
        # attributes
        ("status = 'FINISHED'", {"alpha", "beta"}),
        ("status in ('failed', 'killed')", {"gamma", "epsilon-run_1"}),
        ("experiment = 'fraud'", {"delta", "epsilon-run_1"}),
        ("experiment like 'ch%'", {"alpha", "beta", "gamma"}),
        ("user != 'ana'", {"beta", "epsilon-run_1"}),
        ("not user = 'ana'", {"beta", "gamma", "epsilon-run_1"}),
        ("user is null", {"gamma"}),
        ("duration > 15", {"beta", "gamma"}),
        ("end_time is null", {"delta"}),
        ("start_time >= 3000 and start_time < '1970-01-01T01:23:20'", {"gamma", "delta"}),
        ("parent_id = 'aaaa0001000000000000000000000000'", {"delta"}),
        ("name like 'a%'", {"alpha"}),
        ("name like 'A%'", set()),
        ("name ilike 'A%'", {"alpha"}),
        ("name like '%run\\_1'", {"epsilon-run_1"}),
        ("name not like '%a'", {"epsilon-run_1"}),
        # run ids: a shorter value is a prefix
        ("run_id = 'aaaa0001'", {"alpha"}),
        ("run_id = 'AAAA'", {"alpha"}),
        (f"run_id = '{ALPHA}'", {"alpha"}),
        ("run_id in ('aaaa', 'bbbb0002')", {"alpha", "beta"}),
        ("run_id != 'a'", {"beta", "gamma", "delta", "epsilon-run_1"}),
        ("run_id not in ('a', 'b')", {"gamma", "delta", "epsilon-run_1"}),
        ("run_id = '%'", set()),
    ],
)
def test_filter(runs: Store, filter: str, expected: set[str]) -> None:
    assert set(names(search_runs(runs, filter))) == expected
    assert count_runs(runs, filter) == len(expected)


def test_like_is_literal_for_glob_characters(store: Store) -> None:
    with store.write() as conn:
        for i, name in enumerate(["a*b", "aXb", "a?c", "a[1]", "a1"]):
            add_run(conn, f"{i:032x}", name)
    assert names(search_runs(store, "name like 'a*%'")) == ["a*b"]
    assert names(search_runs(store, "name like 'a?_'")) == ["a?c"]
    assert names(search_runs(store, "name like 'a[1%'")) == ["a[1]"]
    assert set(names(search_runs(store, "name like 'a_b'"))) == {"a*b", "aXb"}


TAGGED = ["lbfgs", "LBFGS", "100% sure", "a\\b", "a_b", "aXb", "a\\", ""]


@pytest.mark.parametrize(
    "condition",
    [
        "tags.x like 'lb%'",
        "tags.x like 'LB%'",
        "tags.x ilike 'LB%'",
        "tags.x not like 'lb%'",
        "tags.x not ilike 'lb%'",
        r"tags.x like '%\%%'",
        "tags.x like 'a_b'",
        r"tags.x like 'a\_b'",
        r"tags.x like 'a\\\\b'",
        r"tags.x like 'a\\'",
        "tags.x like '%'",
        "tags.x like ''",
        "tags.x in ('lbfgs', 'a_b')",
        "tags.x not in ('lbfgs', '')",
        "tags.x is null",
        "tags.x is not null",
    ],
)
def test_gates_read_like_in_and_is_null_as_search_does(store: Store, condition: str) -> None:
    contexts = {f"run{i}": {"tags": {"x": value}} for i, value in enumerate(TAGGED)}
    contexts["untagged"] = {"tags": {}}
    with store.write() as conn:
        for i, (name, context) in enumerate(contexts.items()):
            add_run(conn, f"{i:032x}", name, tags=context["tags"])
    found = set(names(search_runs(store, condition)))
    for name, context in contexts.items():
        result = evaluate(condition, context)
        if name == "untagged" and "null" not in condition:
            # A gate refuses a tag it does not have; a search just does not match it.
            assert result.status == "error" and name not in found
        else:
            assert result.passed is (name in found), (name, result.message)


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        # As in MLflow: a NaN after every number, before missing values, either direction.
        (["metrics.auc desc"], ["alpha", "delta", "beta", "epsilon-run_1", "gamma"]),
        ("metrics.auc", ["beta", "delta", "alpha", "epsilon-run_1", "gamma"]),
        # Ties (and missing values) newest first, as in MLflow.
        (["params.C"], ["gamma", "alpha", "beta", "delta", "epsilon-run_1"]),
        (["params.C desc", "name desc"], ["delta", "beta", "gamma", "alpha", "epsilon-run_1"]),
        (["tags.owner desc"], ["beta", "gamma", "alpha", "epsilon-run_1", "delta"]),
        (["user desc"], ["epsilon-run_1", "beta", "delta", "alpha", "gamma"]),
        (["duration desc"], ["beta", "gamma", "alpha", "epsilon-run_1", "delta"]),
        (["experiment desc", "start_time"], ["delta", "epsilon-run_1", "alpha", "beta", "gamma"]),
        (["name"], ["alpha", "beta", "delta", "epsilon-run_1", "gamma"]),
        (["start_time asc"], ["alpha", "beta", "gamma", "delta", "epsilon-run_1"]),
    ],
)
def test_order_by_puts_missing_values_last(
    runs: Store, order_by: list[str] | str, expected: list[str]
) -> None:
    assert names(search_runs(runs, order_by=order_by)) == expected


def test_pagination_is_stable_with_ties(store: Store) -> None:
    with store.write() as conn:
        for i in range(23):
            # Many equal start times and metric values: only the run id breaks the ties.
            add_run(conn, f"{(i * 7919) % 97:032x}", f"r{i}", start=i % 3, metrics={"m": i % 4})
    for order_by in (None, ["metrics.m desc"], ["start_time asc", "metrics.m"]):
        full = list(search_runs(store, order_by=order_by)["run_id"])
        pages = [
            list(search_runs(store, order_by=order_by, limit=5, offset=offset)["run_id"])
            for offset in range(0, 25, 5)
        ]
        assert [len(page) for page in pages] == [5, 5, 5, 5, 3]
        assert [run_id for page in pages for run_id in page] == full
        assert len(set(full)) == 23
    assert count_runs(store) == 23


def test_limit_none_and_offset_past_the_end(runs: Store) -> None:
    assert len(search_runs(runs, limit=None)) == 5
    assert len(search_runs(runs, limit=None, offset=3)) == 2
    assert search_runs(runs, offset=10).empty


def test_across_experiments(runs: Store) -> None:
    assert set(names(search_runs(runs, experiments=["fraud"]))) == {"delta", "epsilon-run_1"}
    assert names(search_runs(runs, "metrics.auc > 0", experiments="fraud")) == ["delta"]
    assert len(search_runs(runs, experiments=["churn", "fraud"])) == 5
    assert count_runs(runs, "metrics.auc > 0", experiments=["churn"]) == 2


def test_unknown_experiment(runs: Store) -> None:
    with pytest.raises(NotFoundError) as info:
        search_runs(runs, experiments=["churn", "frod"])
    assert str(info.value) == "No experiment named 'frod'; did you mean 'fraud'?"
    with pytest.raises(NotFoundError) as info:
        count_runs(runs, experiments=["x", "y"])
    assert str(info.value) == "No experiments named 'x', 'y'; known experiments: churn, fraud."


def test_get_experiment_ids(runs: Store) -> None:
    with runs.read() as conn:
        churn, fraud = get_experiment_ids(conn, ["churn", "fraud"])
        assert get_experiment_ids(conn, ["fraud", "churn"]) == [fraud, churn]
        assert get_experiment_ids(conn, "fraud") == [fraud]
        assert get_experiment_ids(conn, []) == []


def test_unknown_experiment_in_empty_store(store: Store) -> None:
    with pytest.raises(NotFoundError, match=r"; the store has no experiments yet\.$"):
        search_runs(store, experiments=["churn"])


def test_statuses(runs: Store) -> None:
    assert set(names(search_runs(runs, statuses=["finished"]))) == {"alpha", "beta"}
    assert set(names(search_runs(runs, statuses=["RUNNING", "killed"]))) == {
        "delta",
        "epsilon-run_1",
    }
    assert count_runs(runs, statuses="failed") == 1
    with pytest.raises(MlopsUsageError, match=r"Unknown run status 'done'; expected one of"):
        search_runs(runs, statuses=["done"])


def test_empty_result_has_the_base_columns(runs: Store) -> None:
    frame = search_runs(runs, "metrics.auc > 2")
    assert frame.empty
    assert list(frame.columns) == list(BASE_COLUMNS)
    assert count_runs(runs, "metrics.auc > 2") == 0


def test_empty_store(store: Store) -> None:
    frame = search_runs(store, "metrics.auc > 0.5", order_by=["metrics.auc desc"])
    assert list(frame.columns) == list(BASE_COLUMNS)
    assert count_runs(store) == 0


@pytest.mark.parametrize(
    "filter",
    [
        "params.C = '0.5'' OR 1=1 --'",
        "params.C = '0.5\\' OR 1=1 --'",
        "params.C = \"0.5' OR '1'='1\"",
        "tags.`owner' OR 1=1 --` = 'ana'",
        "params.`C' = '0.5' OR 1=1 --` = '0.5'",
    ],
)
def test_injection_matches_nothing_and_breaks_nothing(runs: Store, filter: str) -> None:
    assert search_runs(runs, filter).empty
    assert len(search_runs(runs)) == 5


def test_statement_injection_does_not_parse(runs: Store) -> None:
    with pytest.raises(FilterSyntaxError, match="unexpected character ';'"):
        search_runs(runs, "name = 'x'); DROP TABLE runs; --'")
    assert len(search_runs(runs)) == 5
    with runs.read() as conn:
        assert conn.scalar(select(func.count()).select_from(t.runs)) == 5


def test_injection_text_is_compared_literally(store: Store) -> None:
    add_five_runs(store)
    with store.write() as conn:
        add_run(conn, "f" * 32, "quoted", params={"C": "0.5' OR 1=1 --"})
    assert names(search_runs(store, "params.C = '0.5'' OR 1=1 --'")) == ["quoted"]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"filter": "metrics.auc >"}, FilterSyntaxError),
        ({"order_by": ["metrics.auc sideways"]}, FilterSyntaxError),
        ({"limit": -1}, MlopsUsageError),
        ({"offset": -1}, MlopsUsageError),
    ],
)
def test_usage_errors(runs: Store, kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        search_runs(runs, **kwargs)


def nest(levels: int, leaf: str, core: str, *, negate: bool = False) -> str:
    """``leaf or (leaf and (leaf or ... core))``, optionally ``not (...)`` at every level."""
    for i in range(levels):
        core = f"{leaf} {'and' if i % 2 else 'or'} {core}"
        core = f"not ({core})" if negate else f"({core})"
    return core


DEEPEST = [
    # Alternating and/or nests the SQL one parenthesis per level, 'not' one more.
    nest(MAX_DEPTH, "metrics.auc not in (1, 2)", "user is null"),
    nest(MAX_DEPTH // 2, "tags.owner not like 'a%'", "params.C != '0.5'", negate=True),
    "not " * MAX_DEPTH + "run_id in ('aaaa', 'bbbb')",
    nest(MAX_DEPTH // 2, "tags.t is null", " or ".join(["user is null"] * 480), negate=True),
]
WIDEST = [
    " or ".join(["user is null"] * MAX_TERMS),
    " and ".join(["tags.t is null"] * MAX_TERMS),
    " or ".join(f"metrics.auc > {i}" for i in range(MAX_TERMS // 2)),
    "metrics.auc not in (" + ", ".join(str(i) for i in range(MAX_TERMS - 1)) + ")",
    "run_id in (" + ", ".join(f"'{i:04x}'" for i in range(MAX_TERMS - 1)) + ")",
]


@pytest.mark.parametrize("filter", DEEPEST + WIDEST)
def test_the_biggest_filters_the_parser_accepts_run_on_every_backend(
    runs: Store, filter: str
) -> None:
    assert len(filter) <= MAX_LENGTH and parse_filter(filter) is not None
    frame = search_runs(runs, filter)
    assert count_runs(runs, filter) == len(frame)


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        (nest(MAX_DEPTH, "user is null", "user is null"), {"gamma"}),
        # not (T or P) is false, not (T and false) true, ...: the outermost level is true.
        (DEEPEST[3], {"alpha", "beta", "gamma", "delta", "epsilon-run_1"}),
        (WIDEST[0], {"gamma"}),
        (WIDEST[1], {"alpha", "beta", "gamma", "delta", "epsilon-run_1"}),
        (WIDEST[3], {"alpha", "beta", "delta", "epsilon-run_1"}),
    ],
)
def test_the_biggest_filters_find_what_they_say(
    runs: Store, filter: str, expected: set[str]
) -> None:
    assert set(names(search_runs(runs, filter))) == expected


def test_many_runs_beyond_one_chunk(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    count = 2_000
    with store.write() as conn:
        exp = experiment_id(conn, "big")
        ids = [f"{i:032x}" for i in range(count)]
        conn.execute(
            insert(t.runs),
            [
                {
                    "id": run_id,
                    "name": f"r{i}",
                    "experiment_id": exp,
                    "status": "finished",
                    "start_time": float(i),
                    "heartbeat": float(i),
                }
                for i, run_id in enumerate(ids)
            ],
        )
        conn.execute(insert(t.params), [{"run_id": r, "key": "i", "value": r} for r in ids])
        conn.execute(
            insert(t.latest_metrics),
            [
                {"run_id": r, "key": "m", "value": float(i), "is_nan": False, "step": 0}
                | {"timestamp": 0.0}
                for i, r in enumerate(ids)
            ],
        )
    frame = search_runs(store, "metrics.m >= 100", limit=None, order_by=["metrics.m"])
    assert len(frame) == count - 100
    assert list(frame["params.i"]) == list(frame["run_id"])
    assert list(frame["metrics.m"]) == [float(i) for i in range(100, count)]
    # The portable fallback (chunked IN lists) returns the same cells as the fast path of
    # the backend (json_each on SQLite, unnest on PostgreSQL).
    with store.read() as conn:
        for table in (t.params, t.latest_metrics, t.tags):
            assert sorted(run_cells.fetch_cells(conn, table, ids, "portable")) == sorted(
                run_cells.fetch_cells(conn, table, ids, store.dialect)
            )
    # PostgreSQL probes the index for a page of runs and scans for more: both agree.
    monkeypatch.setattr(run_cells, "PROBE_LIMIT", 100)
    again = search_runs(store, "metrics.m >= 100", limit=None, order_by=["metrics.m"])
    pd.testing.assert_frame_equal(again, frame)
    with store.read() as conn:
        for table in (t.params, t.latest_metrics, t.tags):
            assert sorted(run_cells.fetch_cells(conn, table, ids, "portable")) == sorted(
                run_cells.fetch_cells(conn, table, ids, store.dialect)
            )


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_filter_on_params_and_tags_is_answered_from_the_covering_indexes(store: Store) -> None:
    """SQLite reads a param or tag filter from the (key, value, run_id) index alone (revision
    0011), not every row holding the key and then the table."""
    from sqlalchemy import event

    from jupyter_mlops.store.search import find_runs

    with store.write() as conn:
        for i in range(50):
            add_run(
                conn,
                f"{i:032x}",
                f"r{i}",
                params={"p": str(i % 10)},
                metrics={"m": i / 50},
                tags={"team": "risk" if i % 2 else "growth"},
            )
    seen: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, *rest: Any) -> None:
        seen.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", keep)
    try:
        found = find_runs(
            store,
            "metrics.m > 0.1 and params.p = '3' and tags.team = 'risk'",
            experiments="churn",
            order_by="metrics.m DESC",
        )
    finally:
        event.remove(store.engine, "before_cursor_execute", keep)
    assert [row[1] for row in found.rows] == ["r43", "r33", "r23", "r13"]
    statement, parameters = next(s for s in seen if "ORDER BY" in s[0])
    with store.read() as conn:
        plan = [
            str(row[-1])
            for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        ]
    assert "SEARCH params USING COVERING INDEX ix_params_key_value_run (key=? AND value=?)" in plan
    assert "SEARCH tags USING COVERING INDEX ix_tags_key_value_run (key=? AND value=?)" in plan
