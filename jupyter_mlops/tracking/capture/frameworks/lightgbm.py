"""LightGBM: the scikit-learn API (``LGBMClassifier.fit``…), ``lgb.train`` and ``lgb.cv``.

* **params** — an estimator's ``get_params()`` (unset ``None`` values left out); for
  ``lgb.train`` the ``params`` dict plus ``num_boost_round``. The run's first model logs them
  unprefixed, later ones as ``<label>.<param>``.
* **metrics** — every validation set's metric per iteration, with the iteration as the step:
  ``valid_0.binary_logloss`` for ``eval_X``/``eval_y`` (or ``eval_set``),
  ``<valid name>.<metric>`` for ``valid_sets``
  (a ``record_evaluation`` callback is added for the call, the user's callbacks untouched).
  ``lgb.cv`` logs each of its curves per iteration: ``cv.valid binary_logloss-mean``.
* **early stopping** — ``best_iteration`` as a metric, and the best score of each validation
  metric as ``best_score.<set>.<metric>``.
* **model** — ``models/<label>.txt``, LightGBM's text model (no code runs on load), with the
  signature of ``X``.
* **data** — fingerprints of ``X``/``y`` (``training``) and of each evaluation set
  (``evaluation``); a ``lgb.Dataset`` built from a frame or array is fingerprinted too.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from jupyter_mlops.tracking.capture.frameworks import _common as c
from jupyter_mlops.tracking.flavors import infer_signature

if TYPE_CHECKING:
    from jupyter_mlops.tracking.capture.session import Session

DISTRIBUTIONS = ("lightgbm",)


def start(session: Session) -> None:
    sklearn_api = sys.modules.get("lightgbm.sklearn")
    if sklearn_api is not None:
        c.patch_methods(session, c.subclasses(sklearn_api.LGBMModel), ("fit",), FIT)
    lgb = sys.modules["lightgbm"]
    for module in (lgb, sys.modules.get("lightgbm.engine")):
        if module is not None:
            c.patch_function(session, module, "train", TRAIN)
            c.patch_function(session, module, "cv", CV)


def stop(session: Session) -> None:
    c.save_pending(session)


def _best(session: Session, iteration: Any, scores: Any, prefix: str) -> None:
    if iteration:  # 0: no early stopping
        c.log_metric(session, f"{prefix}best_iteration", iteration)
    for data_name, metrics in (scores or {}).items():
        for metric, value in metrics.items():
            c.log_metric(session, f"{prefix}best_score.{data_name}.{metric}", value)


def _after_fit(
    session: Session,
    est: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    result: Any,
    state: Any,
) -> None:
    label, prefix = c.prefix_of(session, est)
    c.log_params(session, {k: v for k, v in est.get_params().items() if v is not None}, prefix)
    c.log_curves(session, est.evals_result_, prefix)
    _best(session, est.best_iteration_, est.best_score_ if est.evals_result_ else None, prefix)
    X = args[0] if args else kwargs.get("X")
    y = args[1] if len(args) > 1 else kwargs.get("y")
    c.save_later(session, label, est, infer_signature(X))
    session.log_data("training", X, "X")
    session.log_data("training", y, "y")
    pairs = list(kwargs.get("eval_set") or ())
    if kwargs.get("eval_X") is not None:  # LightGBM >= 4.7 spells the sets eval_X, eval_y
        eval_X, eval_y = kwargs["eval_X"], kwargs.get("eval_y")
        if isinstance(eval_X, tuple | list):
            pairs += list(zip(eval_X, eval_y or [None] * len(eval_X), strict=False))
        else:
            pairs.append((eval_X, eval_y))
    for X_eval, y_eval in pairs:
        session.log_data("evaluation", X_eval, "X_eval")
        session.log_data("evaluation", y_eval, "y_eval")


def _with_recorder(
    session: Session, owner: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, Any, Any]:
    train_set = args[1] if len(args) > 1 else kwargs.get("train_set")
    data = getattr(train_set, "data", None)  # freed by LightGBM once trained on: read it now
    if data is not None and not isinstance(data, str):
        session.log_data("training", data, "X")
        session.log_data("training", getattr(train_set, "label", None), "y")
    curves: dict[str, Any] = {}
    recorder = sys.modules["lightgbm"].record_evaluation(curves)
    kwargs["callbacks"] = [*(kwargs.get("callbacks") or ()), recorder]
    return args, kwargs, curves


def _params(args: tuple[Any, ...], kwargs: dict[str, Any], default_rounds: int) -> dict[str, Any]:
    params = args[0] if args else kwargs.get("params", {})
    found = dict(params) if isinstance(params, dict) else {}
    found.setdefault("num_boost_round", kwargs.get("num_boost_round", default_rounds))
    return found


def _after_train(
    session: Session,
    owner: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    booster: Any,
    curves: Any,
) -> None:
    label, prefix = c.prefix_of(session, booster)
    c.log_params(session, _params(args, kwargs, 100), prefix)
    c.log_curves(session, curves, prefix)
    _best(session, booster.best_iteration, booster.best_score, prefix)
    names = booster.feature_name()
    signature = {"type": "dataframe", "columns": [{"name": n, "dtype": "float"} for n in names]}
    c.save_later(session, label, booster, signature)


def _after_cv(
    session: Session,
    owner: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    result: Any,
    state: Any,
) -> None:
    params = _params(args, kwargs, 100)
    params["nfold"] = kwargs.get("nfold", 5)
    c.log_params(session, params, "cv.")
    for column, values in result.items():
        if isinstance(values, list):
            for step, value in enumerate(values):
                c.log_metric(session, f"cv.{column}", value, step)


FIT = c.Capture("lightgbm", _after_fit)
TRAIN = c.Capture("lightgbm", _after_train, _with_recorder)
CV = c.Capture("lightgbm", _after_cv)
