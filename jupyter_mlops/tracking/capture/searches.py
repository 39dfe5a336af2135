"""One child run per candidate of a hyperparameter search, under the run the search fitted in.

A fitted ``GridSearchCV``, ``RandomizedSearchCV`` or halving search adds, besides what the
parent run records (:mod:`.sklearn`), a ``finished`` child run for each of its best-ranked
candidates — at most ``max_candidate_runs`` of them (a setting, default 100), so a 10,000
candidate search never floods the store. A child holds:

* params: the candidate's params (``C``, ``clf__max_depth``);
* metrics: ``mean_test_<scorer>``, ``std_test_<scorer>``, ``rank_test_<scorer>`` for each scorer
  (``mean_train_*`` too when the search returned train scores), ``mean_fit_time``, and for a
  halving search ``iter`` and ``n_resources``;
* its name: ``<search>-<candidate index>`` (``grid-7``), the index being the row of
  ``cv_results_``; the parent's ``best_index_`` names the best child.

Children are written in one transaction. Find them with ``parent_id = '<run id>'``.
"""

from __future__ import annotations

import math
import time
import uuid
from typing import TYPE_CHECKING, Any

from jupyter_mlops.identity import user_name
from jupyter_mlops.store import runs as q
from jupyter_mlops.tracking.capture.values import param_text

if TYPE_CHECKING:
    from jupyter_mlops.tracking.capture.session import Session

MAX_CANDIDATE_RUNS = 100
_METRIC_PREFIXES = ("mean_test_", "std_test_", "rank_test_", "mean_train_", "std_train_")
_METRIC_KEYS = ("mean_fit_time", "iter", "n_resources")


def _rank_key(results: dict[str, Any], search: Any) -> str | None:
    refit = getattr(search, "refit", True)
    if isinstance(refit, str) and f"rank_test_{refit}" in results:
        return f"rank_test_{refit}"
    if "rank_test_score" in results:
        return "rank_test_score"
    return next((k for k in results if k.startswith("rank_test_")), None)


def best_candidates(search: Any, limit: int) -> list[int]:
    """The rows of ``cv_results_`` of the ``limit`` best-ranked candidates, best first."""
    results = search.cv_results_
    count = len(results["params"])
    rank = _rank_key(results, search)
    order = list(range(count))
    if rank is not None:
        ranks = results[rank]
        order.sort(key=lambda i: (int(ranks[i]), i))
    return order[:limit]


def log_candidates(session: Session, search: Any) -> int:
    """Write a child run for each of the best-ranked candidates; return how many."""
    limit = session.setting("max_candidate_runs", MAX_CANDIDATE_RUNS)
    if limit <= 0:
        return 0
    results = search.cv_results_
    rows = best_candidates(search, int(limit))
    run = session.run
    label = session.state.label(search)
    keys = [k for k in results if k.startswith(_METRIC_PREFIXES) or k in _METRIC_KEYS]
    now = time.time()
    user = user_name()
    runs: list[dict[str, Any]] = []
    params: list[tuple[str, str, str]] = []
    metrics: list[tuple[str, str, float, float]] = []
    for index in rows:
        run_id = uuid.uuid4().hex
        runs.append(
            {
                "id": run_id,
                "name": f"{label}-{index}",
                "status": "finished",
                "start_time": run.start_time,
                "end_time": now,
                "heartbeat": now,
                "user_name": user,
                "host": q.HOST,
                "parent_id": run.id,
            }
        )
        params += [(run_id, str(k), param_text(v)) for k, v in results["params"][index].items()]
        for key in keys:
            value = _number(results[key][index])
            if value is not None:
                metrics.append((run_id, key, value, now))
    with run.store.write() as conn:
        experiment_id = q.get_or_create_experiment(conn, run.experiment)
        for row in runs:
            row["experiment_id"] = experiment_id
        q.insert_finished_runs(conn, runs, params, metrics)
    return len(runs)


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
