"""CatBoost: ``CatBoost.fit`` and its classifier, regressor and ranker.

* **params** — ``get_params()``: what the user set (CatBoost resolves the rest at fit time;
  the resolved ``learning_rate`` is logged too when CatBoost picked it).
* **metrics** — every evaluation set's metric per iteration with the iteration as the step:
  ``learn.Logloss``, ``validation.Logloss`` (``validation_0``… for several ``eval_set``\\ s).
* **early stopping** — ``best_iteration`` and ``best_score.<set>.<metric>``.
* **model** — ``models/<label>.cbm`` (CatBoost's binary format, no code runs on load), with
  the signature of ``X``.
* **data** — fingerprints of ``X``/``y`` (``training``) and of ``eval_set`` (``evaluation``).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from jupyter_mlops.tracking.capture.frameworks import _common as c
from jupyter_mlops.tracking.flavors import infer_signature

if TYPE_CHECKING:
    from jupyter_mlops.tracking.capture.session import Session

DISTRIBUTIONS = ("catboost",)


def start(session: Session) -> None:
    core = sys.modules.get("catboost.core")
    if core is not None:
        c.patch_methods(session, c.subclasses(core.CatBoost), ("fit",), FIT)


def stop(session: Session) -> None:
    c.save_pending(session)


def _after_fit(
    session: Session,
    est: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    result: Any,
    state: Any,
) -> None:
    label, prefix = c.prefix_of(session, est)
    params = dict(est.get_params())
    resolved = est.get_all_params()
    if "learning_rate" not in params and "learning_rate" in resolved:
        params["learning_rate"] = resolved["learning_rate"]
    c.log_params(session, params, prefix)
    c.log_curves(session, est.get_evals_result(), prefix)
    best = est.get_best_iteration()
    if best is not None and kwargs.get("eval_set") is not None:
        c.log_metric(session, f"{prefix}best_iteration", best)
        for data_name, metrics in est.get_best_score().items():
            for metric, value in metrics.items():
                c.log_metric(session, f"{prefix}best_score.{data_name}.{metric}", value)
    X = args[0] if args else kwargs.get("X")
    y = args[1] if len(args) > 1 else kwargs.get("y")
    c.save_later(session, label, est, infer_signature(X))
    session.log_data("training", X, "X")
    session.log_data("training", y, "y")
    eval_set = kwargs.get("eval_set")
    pairs = eval_set if isinstance(eval_set, list) else [eval_set] if eval_set else []
    for pair in pairs:
        if isinstance(pair, tuple) and len(pair) == 2:
            session.log_data("evaluation", pair[0], "X_eval")
            session.log_data("evaluation", pair[1], "y_eval")


FIT = c.Capture("catboost", _after_fit)
