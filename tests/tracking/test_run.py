"""The Run API as a user sees it: what is logged is what get_run reads back, durably."""

from __future__ import annotations

import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import jupyter_mlops as mlops
from jupyter_mlops import MlopsUsageError, MlopsWarning
from jupyter_mlops.store import Store


class Opaque:
    def __repr__(self) -> str:
        return "<Opaque thing>"


# -- params ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("0.5", "0.5"),
        (0.5, "0.5"),
        (3, "3"),
        (True, "True"),
        (None, "None"),
        (np.float64(0.25), "0.25"),
        (np.int64(7), "7"),
        (np.bool_(False), "False"),
        (np.str_("lbfgs"), "lbfgs"),
        ([1, 2, 3], "[1, 2, 3]"),
        ((64, 32), "[64, 32]"),
        ({"b": 1, "a": [2]}, '{"a": [2], "b": 1}'),
        ({"balanced": None}, '{"balanced": null}'),
    ],
)
def test_param_values_are_stored_as_text_or_json(store: Store, value: Any, stored: str) -> None:
    with mlops.start_run(store=store) as run:
        run.log_param("p", value)
    assert mlops.get_run(run.id, store=store).params == {"p": stored}


@pytest.mark.parametrize(
    ("value", "stored"),
    [(Opaque(), "<Opaque thing>"), ([Opaque()], "[<Opaque thing>]"), ({1, 2}, "{1, 2}")],
)
def test_unserializable_param_is_stored_by_repr_with_a_warning(
    store: Store, value: Any, stored: str
) -> None:
    expected = "param 'p'.*not JSON-serializable; stored its repr"
    with mlops.start_run(store=store) as run, pytest.warns(MlopsWarning, match=expected):
        run.log_param("p", value)
    assert mlops.get_run(run.id, store=store).params == {"p": stored}


def test_last_param_value_wins_also_across_flushes(store: Store) -> None:
    with mlops.start_run(store=store, params={"C": 1}) as run:
        run.log_param("C", 2)
        run.flush()
        run.log_params({"C": 3, "penalty": "l2"})
    assert mlops.get_run(run.id, store=store).params == {"C": "3", "penalty": "l2"}


def test_tags_are_text_and_last_value_wins(store: Store) -> None:
    with mlops.start_run(store=store, tags={"owner": "ana"}) as run:
        run.set_tag("owner", "bo")
        run.set_tags({"stage": 2})
    assert mlops.get_run(run.id, store=store).tags == {"owner": "bo", "stage": "2"}


@pytest.mark.parametrize(
    "key",
    ["", "   ", 3, None, "x" * 251, "a\x00b"],
    ids=["empty", "blank", "int", "none", "long", "nul"],
)
def test_bad_param_metric_and_tag_names_are_usage_errors(store: Store, key: Any) -> None:
    with mlops.start_run(store=store) as run:
        for log in (run.log_param, run.set_tag, run.log_metric):
            with pytest.raises(MlopsUsageError, match="name"):
                log(key, 1)
    record = mlops.get_run(run.id, store=store)
    assert record.params == record.tags == record.metrics == {}


# -- metrics --------------------------------------------------------------------------


def test_metric_steps_count_up_per_key_when_not_given(store: Store) -> None:
    with mlops.start_run(store=store) as run:
        returned = [run.log_metric("loss", v) for v in (0.9, 0.7, 0.5)]
        returned.append(run.log_metric("acc", 0.1))
        returned.append(run.log_metric("loss", 0.4, step=10))
        returned.append(run.log_metric("loss", 0.3))
        run.log_metrics({"acc": 0.2, "f1": 0.3}, step=5)
    assert returned == [0, 1, 2, 0, 10, 11]
    history = mlops.get_metric_history(run.id, "loss", store=store)
    assert [(p.step, p.value) for p in history] == [
        (0, 0.9),
        (1, 0.7),
        (2, 0.5),
        (10, 0.4),
        (11, 0.3),
    ]
    assert mlops.get_run(run.id, store=store).metrics == {"loss": 0.3, "acc": 0.2, "f1": 0.3}


@pytest.mark.parametrize("step", [np.int64(3), np.int32(3), 3])
def test_numpy_integer_steps_are_accepted(store: Store, step: Any) -> None:
    with mlops.start_run(store=store) as run:
        assert run.log_metric("m", 1.0, step=step) == 3
        assert run.log_metric("m", 2.0) == 4
    history = mlops.get_metric_history(run.id, "m", store=store)
    assert [p.step for p in history] == [3, 4]


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf], ids=["nan", "+inf", "-inf"])
def test_nan_and_infinities_are_read_back_as_such(store: Store, value: float) -> None:
    with mlops.start_run(store=store) as run:
        run.log_metric("m", 1.0)
        run.log_metric("m", np.float32(value))
    latest = mlops.get_run(run.id, store=store).metrics["m"]
    points = [p.value for p in mlops.get_metric_history(run.id, "m", store=store)]
    assert points[0] == 1.0
    for got in (latest, points[1]):
        assert (math.isnan(got) and math.isnan(value)) or got == value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "metric 'm' must be a number, not str 'abc'"),
        (None, "metric 'm' must be a number, not NoneType None"),
        ([1.0], r"metric 'm' must be a number, not list \[1.0\]"),
        ({"a": 1}, "metric 'm' must be a number, not dict"),
        (1j, "metric 'm' must be a number, not complex"),
    ],
)
def test_non_numeric_metric_is_a_usage_error(store: Store, value: Any, message: str) -> None:
    with mlops.start_run(store=store) as run, pytest.raises(MlopsUsageError, match=message):
        run.log_metric("m", value)
    assert mlops.get_run(run.id, store=store).metrics == {}


@pytest.mark.parametrize("step", ["3", 1.5, True, np.float64(2.0)])
def test_non_integer_step_is_a_usage_error(store: Store, step: Any) -> None:
    with mlops.start_run(store=store) as run, pytest.raises(MlopsUsageError, match="integer"):
        run.log_metric("m", 1.0, step=step)


@pytest.mark.parametrize("step", [2**63, -(2**63) - 1])
def test_a_step_past_64_bits_is_a_usage_error_and_the_runs_points_are_kept(
    store: Store, step: int
) -> None:
    with mlops.start_run(store=store) as run:
        run.log_metric("m", 0.5, step=2**63 - 1)
        with pytest.raises(MlopsUsageError, match="does not fit in 64 bits"):
            run.log_metric("m", 1.0, step=step)
    history = mlops.get_metric_history(run.id, "m", store=store)
    assert [(p.step, p.value) for p in history] == [(2**63 - 1, 0.5)]
    assert mlops.get_run(run.id, store=store).status == "finished"


def test_numpy_and_bool_metric_values_are_floats(store: Store) -> None:
    with mlops.start_run(store=store) as run:
        run.log_metrics({"a": np.float32(0.5), "b": np.int64(2), "c": True})
    assert mlops.get_run(run.id, store=store).metrics == {"a": 0.5, "b": 2.0, "c": 1.0}


# -- artifacts ------------------------------------------------------------------------


def object_count(store: Store) -> int:
    return sum(1 for _ in store.objects.iter_digests())


def test_artifacts_from_bytes_file_and_folder_are_stored_once_per_content(
    store: Store, tmp_path: Path
) -> None:
    report = tmp_path / "report.txt"
    report.write_bytes(b"same bytes")
    folder = tmp_path / "plots"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.csv").write_bytes(b"x,y\n1,2\n")
    (folder / "sub" / "b.json").write_bytes(b"same bytes")
    with mlops.start_run(store=store) as run:
        first = run.log_artifact(b"same bytes", "notes/one.txt")
        second = run.log_artifact(report)
        third = run.log_artifact(folder, "figs")
    assert first[0].digest == second[0].digest == third[1].digest
    assert object_count(store) == 2  # "same bytes" once, plus the CSV

    record = mlops.get_run(run.id, store=store)
    by_path = {a.path: a for a in record.artifacts}
    assert sorted(by_path) == ["figs/a.csv", "figs/sub/b.json", "notes/one.txt", "report.txt"]
    assert by_path["figs/a.csv"].media_type == "text/csv"
    assert by_path["report.txt"].size == len(b"same bytes")
    assert store.objects.read_bytes(by_path["figs/a.csv"].digest) == b"x,y\n1,2\n"


def test_logging_the_same_artifact_name_again_replaces_it(store: Store) -> None:
    with mlops.start_run(store=store) as run:
        run.log_artifact(b"v1", "model.txt")
        run.log_artifact(b"v2", "model.txt")
    (artifact,) = mlops.get_run(run.id, store=store).artifacts
    assert store.objects.read_bytes(artifact.digest) == b"v2"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../escape.txt", "contains '..'"),
        ("a/../../escape.txt", "contains '..'"),
        ("/etc/passwd", "is absolute"),
        ("C:/Windows/x", "is absolute"),
        ("a\x00b", "contains a NUL character"),
        ("dir\\file.txt", "contains a backslash"),
        ("", "must be a non-empty string"),
        ("  ", "must be a non-empty string"),
    ],
)
@pytest.mark.parametrize("source", ["bytes", "file", "folder"])
def test_bad_artifact_names_are_refused_and_nothing_is_written(
    store: Store, tmp_path: Path, name: str, message: str, source: str
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "f.txt").write_bytes(b"content")
    given: Any = {"bytes": b"content", "file": data / "f.txt", "folder": data}[source]
    with mlops.start_run(store=store) as run, pytest.raises(MlopsUsageError, match=message):
        run.log_artifact(given, name)
    assert mlops.get_run(run.id, store=store).artifacts == []
    assert object_count(store) == 0


def test_bytes_without_a_name_and_missing_files_are_usage_errors(
    store: Store, tmp_path: Path
) -> None:
    with mlops.start_run(store=store) as run:
        with pytest.raises(MlopsUsageError, match="Give a name when logging bytes"):
            run.log_artifact(b"data")
        with pytest.raises(MlopsUsageError, match="No file or folder"):
            run.log_artifact(tmp_path / "missing.txt")
    assert object_count(store) == 0


# -- lifecycle ------------------------------------------------------------------------

LOGGERS: dict[str, Callable[[mlops.Run], object]] = {
    "log_param": lambda run: run.log_param("p", 1),
    "log_params": lambda run: run.log_params({"p": 1}),
    "set_tag": lambda run: run.set_tag("t", 1),
    "log_metric": lambda run: run.log_metric("m", 1.0),
    "log_metrics": lambda run: run.log_metrics({"m": 1.0}),
    "log_artifact": lambda run: run.log_artifact(b"x", "x.bin"),
}


@pytest.mark.parametrize("log", LOGGERS.values(), ids=LOGGERS.keys())
def test_logging_after_the_run_ended_is_a_usage_error(store: Store, log: Callable) -> None:
    run = mlops.start_run(store=store)
    run.end()
    with pytest.raises(MlopsUsageError, match="has ended; start a new run"):
        log(run)
    record = mlops.get_run(run.id, store=store)
    assert record.params == record.tags == record.metrics == {}
    assert record.artifacts == []


def test_context_manager_marks_the_run_finished(store: Store) -> None:
    with mlops.start_run(store=store) as run:
        run.log_metric("m", 1.0)
    record = mlops.get_run(run.id, store=store)
    assert (record.status, record.error) == ("finished", None)
    assert record.end_time is not None and record.end_time >= record.start_time
    assert run.ended and mlops.active_run() is None


def test_context_manager_marks_the_run_failed_with_the_traceback(store: Store) -> None:
    def train() -> None:
        raise ValueError("diverged at epoch 3")

    with pytest.raises(ValueError, match="diverged"), mlops.start_run(store=store) as run:
        run.log_metric("m", 1.0)
        train()
    record = mlops.get_run(run.id, store=store)
    assert record.status == "failed"
    assert record.error is not None
    assert record.error.startswith("Traceback (most recent call last):")
    assert "in train" in record.error
    assert record.error.rstrip().endswith("ValueError: diverged at epoch 3")
    assert record.metrics == {"m": 1.0}  # what was logged before the failure is kept
    assert mlops.active_run() is None


def test_keyboard_interrupt_marks_the_run_killed(store: Store) -> None:
    with pytest.raises(KeyboardInterrupt), mlops.start_run(store=store) as run:
        raise KeyboardInterrupt
    assert mlops.get_run(run.id, store=store).status == "killed"


def test_end_is_idempotent_and_checks_the_status(store: Store) -> None:
    run = mlops.start_run(store=store)
    with pytest.raises(MlopsUsageError, match="status must be one of finished, failed, killed"):
        run.end("done")
    run.end("failed", error="by hand")
    run.end("finished")
    record = mlops.get_run(run.id, store=store)
    assert (record.status, record.error) == ("failed", "by hand")


def test_a_run_ended_directly_is_no_longer_active(store: Store) -> None:
    first = mlops.start_run(store=store)
    first.end()
    assert mlops.active_run() is None
    with pytest.raises(MlopsUsageError, match="No active run"):
        mlops.log_metric("m", 1.0)
    second = mlops.start_run(store=store)
    second.end()
    assert mlops.get_run(second.id, store=store).parent_id is None


def test_nested_runs_record_their_parent(store: Store) -> None:
    with mlops.start_run("outer", store=store) as outer:
        with mlops.start_run("inner", store=store) as inner:
            assert mlops.active_run() is inner
        assert mlops.active_run() is outer
        explicit = mlops.start_run("sibling", parent=outer.id, store=store)
        explicit.end()
    assert mlops.active_run() is None
    assert mlops.get_run(inner.id, store=store).parent_id == outer.id
    assert mlops.get_run("sibling", store=store).parent_id == outer.id
    assert mlops.get_run(outer.id, store=store).parent_id is None


# -- durability -----------------------------------------------------------------------


def poll(check: Callable[[], bool], timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def test_points_reach_other_readers_within_the_flush_interval_without_flush(
    store: Store, make_store: Callable[..., Store]
) -> None:
    reader = make_store()  # a second engine on the same file: another connection
    run = mlops.start_run(store=store)
    run.log_param("C", 0.5)
    for i in range(10):
        run.log_metric("loss", 1.0 / (i + 1))
    started = time.monotonic()

    def visible() -> bool:
        return len(mlops.get_metric_history(run.id, "loss", store=reader)) == 10

    assert poll(visible), "points were not written by the background flusher"
    assert time.monotonic() - started < run.flush_interval + 1.0
    assert mlops.get_run(run.id, store=reader).params == {"C": "0.5"}
    assert mlops.get_run(run.id, store=reader).status == "running"
    run.end()


def test_flush_makes_points_durable_when_it_returns(
    store: Store, make_store: Callable[..., Store]
) -> None:
    reader = make_store()
    with mlops.start_run(store=store) as run:
        run.log_metric("loss", 0.5)
        run.flush()
        assert [p.value for p in mlops.get_metric_history(run.id, "loss", store=reader)] == [0.5]


def test_logging_does_not_wait_for_a_flush_blocked_by_another_writer(
    store: Store, tmp_path: Path
) -> None:
    run = mlops.start_run(store=store)
    run.log_metric("m", 0.0)
    other = sqlite3.connect(tmp_path / "m.db", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock...
    release = threading.Timer(2.0, other.execute, ["ROLLBACK"])  # ...for two seconds
    release.start()
    flusher = threading.Thread(target=run.flush)
    flusher.start()
    time.sleep(0.2)  # the flush is now waiting on the lock
    started = time.perf_counter()
    for i in range(1, 100):
        run.log_metric("m", float(i))
    assert time.perf_counter() - started < 0.5
    release.join()
    flusher.join(timeout=10)
    other.close()
    run.end()
    assert [p.step for p in mlops.get_metric_history(run.id, "m", store=store)] == list(range(100))


KILLED_CHILD = textwrap.dedent(
    """
    import os, sys, time
    import jupyter_mlops as mlops
    from jupyter_mlops.store import open_store

    store = open_store(f"sqlite:///{sys.argv[1]}", sys.argv[2])
    # Like a kernel that already tracked something: the background flusher is running.
    mlops.start_run("earlier", store=store).end()
    time.sleep(0.3)
    run = mlops.start_run("doomed", store=store)
    run.log_param("C", 0.5)
    for i in range(100):
        run.log_metric("loss", 1.0 / (i + 1))
    print(run.id, flush=True)
    time.sleep(60)
    """
)


def test_sigkilled_process_keeps_its_points_and_its_run_is_reaped_as_killed(
    tmp_path: Path, make_store: Callable[..., Store]
) -> None:
    script = tmp_path / "child.py"
    script.write_text(KILLED_CHILD)
    with subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "m.db"), str(tmp_path / "m-objects")],
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        try:
            assert child.stdout is not None
            run_id = child.stdout.readline().strip()
            time.sleep(1.5)
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
    assert child.returncode == -signal.SIGKILL

    store = make_store()
    record = mlops.get_run(run_id, store=store)
    assert record.status == "killed"
    assert record.pid == child.pid
    assert "stopped without ending it" in (record.error or "")
    assert record.params == {"C": "0.5"}
    history = mlops.get_metric_history(run_id, "loss", store=store)
    assert [p.step for p in history] == list(range(100))


def test_run_whose_heartbeat_stopped_is_reaped_as_killed(store: Store) -> None:
    run = mlops.start_run(store=store)
    run.log_metric("m", 1.0)
    run.flush()
    beat = mlops.get_run(run.id, store=store).heartbeat
    # The process is alive here, so only a silent heartbeat can mark it: shrink stale_after.
    store.stale_after = 0.2
    assert poll(lambda: mlops.get_run(run.id, store=store).status == "killed", timeout=5.0)
    record = mlops.get_run(run.id, store=store)
    assert record.end_time is not None and record.end_time >= beat
    assert record.metrics == {"m": 1.0}
    run.end()


def test_environment_is_stored_when_the_run_ends(store: Store) -> None:
    with mlops.start_run(store=store) as run:
        pass
    env = mlops.get_run(run.id, store=store).environment
    assert env["python"] == sys.version.split()[0]
    assert env["executable"] == sys.executable
    assert json.dumps(env)  # JSON all the way down
