"""A run's buffer: counted as it fills, written in one flush, kept when a flush fails."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

import pytest

import jupyter_mlops as mlops
from jupyter_mlops.errors import StoreError
from jupyter_mlops.store import Store
from jupyter_mlops.tracking.buffer import Captured, RunBuffer


class DownStore:
    """A store whose every write fails, as one does while its database is unreachable."""

    @contextmanager
    def write(self) -> Any:
        raise StoreError("the database is down")
        yield


def test_a_failed_flush_keeps_the_batch_for_the_next_one(store: Store) -> None:
    run = mlops.start_run("buffered", store=store)
    try:
        captured = Captured()
        buffer = RunBuffer(run.id, captured)
        buffer.param("C", "0.5")
        buffer.param("C", "1.0")  # the last value wins, counted once
        buffer.tag("owner", "ana")
        assert [buffer.point("loss", v, None, None) for v in (0.5, 0.25)] == [0, 1]
        assert buffer.point("loss", 0.125, 7, 1.0) == 7
        buffer.cell("x = 1", execution_count=1, started=1.0, duration=0.1, status="ok", error=None)
        buffer.data_input(role="input", kind="file", source="a.csv", digest="d", size=1, info=None)
        assert (captured.params, captured.metrics, captured.datasets) == (1, 1, 1)
        with pytest.raises(StoreError):
            buffer.flush(DownStore())  # type: ignore[arg-type]
        assert buffer.pending()
        assert buffer.flush(store) is True
        assert not buffer.pending()
        assert buffer.flush(store) is False  # nothing left to write
    finally:
        run.end()
    record = mlops.get_run(run.id, store=store)
    assert (record.params, record.tags, record.metrics) == (
        {"C": "1.0"},
        {"owner": "ana"},
        {"loss": 0.125},
    )
    assert [c.source for c in record.cells] == ["x = 1"]
    assert [i.source for i in record.inputs] == ["a.csv"]
