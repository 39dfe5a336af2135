"""Runs table on a store of 10,000 runs: time to the first page, page turns, filter and sort.

Target (issue 6): the first page shows in under 1 s with 10,000 runs in the store. Pages are
read from the store with LIMIT/OFFSET, so a page costs about the same wherever it is.

    .venv/bin/python benchmarks/bench_widgets.py            # 10,000 runs
    .venv/bin/python benchmarks/bench_widgets.py --runs 2000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

TARGET_S = 1.0


def build(folder: Path, n: int) -> Any:
    """A store with ``n`` finished runs: 20 params, 10 metrics and 3 tags each, bulk-inserted."""
    from sqlalchemy import insert

    from jupyter_mlops.store import open_store
    from jupyter_mlops.store import runs as q
    from jupyter_mlops.store import tables as t
    from jupyter_mlops.store.metric_chunks import insert_point_rows

    store = open_store(f"sqlite:///{folder}/mlops.db", str(folder / "objects"))
    rng = random.Random(0)
    now = time.time() - n
    runs, params, tags, metrics = [], [], [], []
    with store.write() as conn:
        experiment_id = q.get_or_create_experiment(conn, "bench-widgets")
        for i in range(n):
            run_id = uuid.uuid4().hex
            start = now + i
            runs.append(
                {
                    "id": run_id,
                    "name": f"run-{i}",
                    "experiment_id": experiment_id,
                    "status": "finished" if i % 17 else "failed",
                    "start_time": start,
                    "end_time": start + rng.uniform(1, 100),
                    "heartbeat": start + 1,
                    "user_name": "bench",
                    "host": q.HOST,
                    "pid": os.getpid(),
                }
            )
            params += [
                {"run_id": run_id, "key": f"p{j:02d}", "value": str(rng.randint(0, 9))}
                for j in range(20)
            ]
            tags += [{"run_id": run_id, "key": f"t{j}", "value": "x"} for j in range(3)]
            metrics += [
                {
                    "run_id": run_id,
                    "key": f"m{j}",
                    "step": 0,
                    "value": rng.random(),
                    "is_nan": False,
                    "timestamp": start,
                }
                for j in range(10)
            ]
        conn.execute(insert(t.runs), runs)
        conn.execute(insert(t.params), params)
        conn.execute(insert(t.tags), tags)
        insert_point_rows(conn, metrics)
        conn.execute(insert(t.latest_metrics), metrics)
    return store


def timed(fn: Callable[[], Any], repeat: int) -> float:
    """Median seconds of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        store = build(Path(tmp), args.runs)
        print(f"built {args.runs:,} runs in {time.perf_counter() - start:.1f} s")

        start = time.perf_counter()
        from jupyter_mlops.widgets.runs import RunsTable

        imported = time.perf_counter() - start
        # The first panel in a fresh process: imports done above, so this is store + widgets.
        start = time.perf_counter()
        table = RunsTable(store=store)
        first = time.perf_counter() - start
        html = table._repr_mimebundle_()["text/html"]
        assert f"of {args.runs:,}" in html, "the first page must show the total"

        def opened() -> None:
            RunsTable(store=store).close()

        def turn() -> None:
            table.next_page()

        def last_page() -> None:
            table.page_number = table.page.pages - 2
            table.next_page()

        def filtered() -> None:
            table.filter.value = (
                "metrics.m0 > 0.5 and params.p01 = '3'" if table.filter.value == "" else ""
            )

        def sorted_by_metric() -> None:
            table.sort.value = "metrics.m3" if table.sort.value != "metrics.m3" else "start_time"

        figures = {
            "import jupyter_mlops.widgets.runs": imported,
            "first page, first panel": first,
            "open a panel (first page)": timed(opened, args.repeat),
            "next page": timed(turn, args.repeat),
            "jump to the last page": timed(last_page, args.repeat),
            "filter (metric and param)": timed(filtered, args.repeat),
            "sort by a metric": timed(sorted_by_metric, args.repeat),
            "static HTML of a page": timed(table.to_html, args.repeat),
        }
        width = max(map(len, figures))
        print(f"runs table on {args.runs:,} runs (median of {args.repeat}):")
        for label, seconds in figures.items():
            print(f"  {label.ljust(width)}  {seconds * 1000:8.1f} ms")
        worst = max(figures["first page, first panel"], figures["open a panel (first page)"])
        verdict = "OK" if worst < TARGET_S else "OVER"
        print(f"first page {worst * 1000:.0f} ms vs target {TARGET_S * 1000:.0f} ms: {verdict}")
        store.close()


if __name__ == "__main__":
    main()
