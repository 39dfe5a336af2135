"""Registry benchmark: registering a model version and promoting it with two checks.

Anchor (DESIGN.md, Performance): each under 100 ms on the embedded (SQLite) store.
Prints the median and 90th percentile over ``--repeat`` repetitions and the ratio of the
median to the anchor (below 1.0 is within budget).

    python benchmarks/bench_registry.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

import jupyter_mlops as mlops
from jupyter_mlops import models
from jupyter_mlops.store import open_store

ANCHOR_S = 0.100
CHECKS = [
    "metrics.roc_auc >= 0.5",
    "metrics.roc_auc >= production.metrics.roc_auc - 0.5",
]


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def report(label: str, samples: list[float]) -> None:
    median = statistics.median(samples)
    p90 = sorted(samples)[max(0, int(len(samples) * 0.9) - 1)]
    print(
        f"{label:<34} median {median * 1000:7.1f} ms   p90 {p90 * 1000:7.1f} ms   "
        f"ratio to {ANCHOR_S * 1000:.0f} ms anchor {median / ANCHOR_S:5.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    X, y = make_classification(n_samples=500, n_features=10, random_state=0)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'mlops.db'}", str(Path(tmp) / "objects"))
        run_ids = []
        for i in range(args.repeat + 1):  # set-up, not timed: runs that logged a model
            with mlops.start_run(store=store) as run:
                run.log_model(LogisticRegression(C=1.0 + i).fit(X, y), input_example=X[:5])
                run.log_params({"C": 1.0 + i, "solver": "lbfgs"})
                run.log_metrics({"roc_auc": 0.9, "accuracy": 0.85})
            run_ids.append(run.id)

        models.register(run_ids[0], "bench", store=store)
        models.promote("bench", 1, to="production", store=store, checks=["version >= 1"])

        register = [
            timed(lambda rid=rid: models.register(rid, "bench", store=store))  # type: ignore[misc]
            for rid in run_ids[1:]
        ]
        promote = [
            timed(
                lambda v=v: models.promote(  # type: ignore[misc]
                    "bench", v, to="production", checks=CHECKS, store=store
                )
            )
            for v in range(2, args.repeat + 2)
        ]
        load = [
            timed(lambda: models.load("models:/bench@production", store=store))
            for _ in range(args.repeat)
        ]
        store.close()

    print(f"jupyter_mlops registry benchmark, {args.repeat} repetitions, embedded SQLite store")
    report("register (run -> version + card)", register)
    report("promote (2 checks, CAS, audit)", promote)
    report("load models:/bench@production", load)


if __name__ == "__main__":
    main()
