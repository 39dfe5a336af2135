"""XGBoost: the scikit-learn API (``XGBClassifier.fit``…), ``xgb.train`` and ``xgb.cv``.

* **params** — an estimator's ``get_params()``; for ``xgb.train`` the ``params`` dict plus
  ``num_boost_round`` (and ``early_stopping_rounds`` when given). The run's first model logs
  them unprefixed, later ones as ``<label>.<param>`` (labels as for scikit-learn).
* **metrics** — every evaluation set's metric per boosting round, with the round as the step:
  ``validation_0.logloss`` for ``eval_set``, ``<name>.<metric>`` for ``evals=[(d, name)]``.
  ``xgb.cv`` logs each column of its result per round: ``cv.test-logloss-mean``.
* **early stopping** — ``best_iteration`` and ``best_score`` as metrics.
* **model** — ``models/<label>.ubj`` (XGBoost's UBJSON, no code runs on load), with the
  signature of ``X`` (or the ``DMatrix`` feature names and types).
* **data** — fingerprints of ``X``/``y`` (``training``) and of each ``eval_set`` pair
  (``evaluation``); a ``DMatrix`` keeps no frame to fingerprint.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from jupyter_mlops.tracking.capture.frameworks import _common as c
from jupyter_mlops.tracking.flavors import infer_signature

if TYPE_CHECKING:
    from jupyter_mlops.tracking.capture.session import Session

DISTRIBUTIONS = ("xgboost",)


def start(session: Session) -> None:
    sklearn_api = sys.modules.get("xgboost.sklearn")
    if sklearn_api is not None:
        c.patch_methods(session, c.subclasses(sklearn_api.XGBModel), ("fit",), FIT)
    training = sys.modules.get("xgboost.training")
    xgb = sys.modules["xgboost"]
    for module in (xgb, training):
        if module is not None:
            c.patch_function(session, module, "train", TRAIN)
            c.patch_function(session, module, "cv", CV)


def stop(session: Session) -> None:
    c.save_pending(session)


def _best(session: Session, booster: Any, prefix: str) -> None:
    try:  # set only when early stopping ran
        iteration, score = booster.best_iteration, booster.best_score
    except AttributeError:
        return
    c.log_metric(session, f"{prefix}best_iteration", iteration)
    c.log_metric(session, f"{prefix}best_score", score)


def _after_fit(
    session: Session,
    est: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    result: Any,
    state: Any,
) -> None:
    label, prefix = c.prefix_of(session, est)
    # None means "XGBoost's default": only what the user set is a hyperparameter of the run.
    c.log_params(session, {k: v for k, v in est.get_params().items() if v is not None}, prefix)
    if kwargs.get("eval_set"):  # evals_result() raises without one
        c.log_curves(session, est.evals_result(), prefix)
    _best(session, est.get_booster(), prefix)
    X = args[0] if args else kwargs.get("X")
    y = args[1] if len(args) > 1 else kwargs.get("y")
    c.save_later(session, label, est, infer_signature(X))
    session.log_data("training", X, "X")
    session.log_data("training", y, "y")
    for X_eval, y_eval in kwargs.get("eval_set") or ():
        session.log_data("evaluation", X_eval, "X_eval")
        session.log_data("evaluation", y_eval, "y_eval")


def _before_train(
    session: Session, owner: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, Any, Any]:
    if kwargs.get("evals_result") is None:
        kwargs["evals_result"] = {}  # filled by xgboost with every round's evaluation
    return args, kwargs, None


def _train_params(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    params = args[0] if args else kwargs.get("params", {})
    found = dict(params) if isinstance(params, dict) else {"params": params}
    rounds = args[2] if len(args) > 2 else kwargs.get("num_boost_round", 10)
    found["num_boost_round"] = rounds
    if kwargs.get("early_stopping_rounds") is not None:
        found["early_stopping_rounds"] = kwargs["early_stopping_rounds"]
    return found


def _after_train(
    session: Session,
    owner: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    booster: Any,
    state: Any,
) -> None:
    label, prefix = c.prefix_of(session, booster)
    c.log_params(session, _train_params(args, kwargs), prefix)
    c.log_curves(session, kwargs.get("evals_result") or {}, prefix)
    _best(session, booster, prefix)
    names = booster.feature_names
    signature = None
    if names:
        types = booster.feature_types or [None] * len(names)
        columns = [{"name": n, "dtype": str(t)} for n, t in zip(names, types, strict=False)]
        signature = {"type": "dataframe", "columns": columns}
    c.save_later(session, label, booster, signature)


def _after_cv(
    session: Session,
    owner: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    result: Any,
    state: Any,
) -> None:
    params = _train_params(args, kwargs)
    params["nfold"] = kwargs.get("nfold", 3)
    c.log_params(session, params, "cv.")
    columns = result if isinstance(result, dict) else {k: result[k] for k in result.columns}
    for column, values in columns.items():
        for step, value in enumerate(values):
            c.log_metric(session, f"cv.{column}", value, step)


FIT = c.Capture("xgboost", _after_fit)
TRAIN = c.Capture("xgboost", _after_train, _before_train)
CV = c.Capture("xgboost", _after_cv)
