"""Capture values of scikit-learn metric functions and cross-validation scores.

Every public function of ``sklearn.metrics`` whose name ends in ``_score``, ``_error`` or
``_loss`` (plus ``auc`` and ``matthews_corrcoef``) records, when called in a tracked cell and
returning a single number, a metric named after the function: ``roc_auc_score``. Calling it
again in the same run records the next *step* of the same key (0, 1, 2, ...), so a metric
computed in a loop becomes a curve and names stay stable; the latest value is the run's value.
Its ``y_true`` (``labels_true``) is fingerprinted as an ``evaluation`` input.

Who called it decides the name: a call written in the cell is ``roc_auc_score``; a call made
inside a function defined in the notebook (or the user's project) is recorded under that
function's name, ``evaluate.roc_auc_score``, so a helper looping over thresholds draws its own
curve and never overwrites the cell's own value. Calls a library makes are not recorded.

``classification_report`` records ``classification_report.accuracy`` and the ``macro avg`` and
``weighted avg`` precision, recall and F1 (``classification_report.macro_avg.f1-score``).

``cross_val_score`` records ``cross_val_score.mean`` and ``cross_val_score.std`` of the fold
scores and each fold's score as the steps of ``cross_val_score.fold`` (step = fold); and
``cross_validate`` records ``cross_validate.<key>.mean`` / ``.std`` / ``.fold`` for each of its
``test_*`` and ``train_*`` arrays. The estimator evaluated is linked like a fit: its params are
logged (unprefixed when it is the run's primary estimator), and the keys of an estimator that
is not primary start with its name: ``forest.cross_val_score.mean``. The fold fits inside are
not recorded, nor are those of ``cross_val_predict``.

``learning_curve`` records ``learning_curve.train_score.mean`` and ``.test_score.mean`` with
the number of training samples as the step; ``permutation_importance`` records
``permutation_importance.<feature>`` (the mean importance; features named after the columns of
a DataFrame, else ``x0``, ``x1``...).

Names bound before the cell (``from sklearn.metrics import roc_auc_score``) are swapped for
the wrappers in the notebook namespace during the cell and swapped back afterwards.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jupyter_mlops.tracking.capture import patching
from jupyter_mlops.tracking.capture.callers import helper_of

if TYPE_CHECKING:
    from jupyter_mlops.tracking.capture.session import Hook, Session

SUFFIXES = ("_score", "_error", "_loss")
EXTRA_METRICS = frozenset({"auc", "matthews_corrcoef"})
TRUTH_PARAMS = frozenset({"y_true", "labels_true"})
METRIC_MODULES = ("sklearn.metrics", "sklearn.metrics.cluster")
CV_MODULES = ("sklearn.model_selection", "sklearn.model_selection._validation")
CV_FUNCTIONS = ("cross_val_score", "cross_validate")
INSPECTION_MODULES = ("sklearn.inspection", "sklearn.inspection._permutation_importance")
MAX_FEATURES = 100  # permutation importances of wider data are not recorded one by one

_cache_key: tuple[int, ...] | None = None
_cache: tuple[list[patching.PatchEntry], dict[int, tuple[Any, Any]]] = ([], {})


def is_metric_name(name: str) -> bool:
    """Whether ``sklearn.metrics.<name>`` is captured as a metric."""
    return name.endswith(SUFFIXES) or name in EXTRA_METRICS


def _metric_hook(name: str, original: Callable[..., Any]) -> Hook:
    try:
        first = next(iter(inspect.signature(original).parameters), None)
    except (TypeError, ValueError):
        first = None
    truth = first if first in TRUTH_PARAMS else None

    def record_metric(
        session: Session, owner: Any, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any
    ) -> None:
        session.log_metric(called_as(session, name), result)
        if truth is not None:
            session.log_data("evaluation", args[0] if args else kwargs.get(truth), "y_true")

    return record_metric


def called_as(session: Session, name: str) -> str:
    """``name``, or ``<helper>.name`` when a function of the user's made the call."""
    helper = helper_of(session.caller, session.user_ns)
    return name if helper is None else f"{helper}.{name}"


def _folds(session: Session, key: str, values: Any) -> None:
    # numpy: scikit-learn's cross-validation has loaded it already.
    import numpy as np  # start-up: capture loads with the extension; numpy only here

    array = np.asarray(values, dtype=float)
    session.log_metric(f"{key}.mean", array.mean())
    session.log_metric(f"{key}.std", array.std())
    for value in array.ravel():
        session.log_metric(f"{key}.fold", value)


def record_cv(
    session: Session, owner: Any, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any
) -> None:
    """Record ``cross_val_score`` / ``cross_validate`` summaries, folds, estimator and data."""
    estimator = args[0] if args else kwargs.get("estimator")
    prefix = ""
    if hasattr(estimator, "get_params"):
        prefix = (
            session.guarded("the estimator evaluated", link_estimator, session, estimator) or ""
        )
    if isinstance(result, dict):
        for key, values in result.items():
            if isinstance(key, str) and key.startswith(("test_", "train_")):
                _folds(session, f"{prefix}cross_validate.{key}", values)
    else:
        _folds(session, f"{prefix}cross_val_score", result)
    X = args[1] if len(args) > 1 else kwargs.get("X")
    y = args[2] if len(args) > 2 else kwargs.get("y")
    session.log_data("evaluation", X, "X")
    session.log_data("evaluation", y, "y")


def link_estimator(session: Session, estimator: Any) -> str:
    """Log the params of an estimator evaluated (not fitted) in the cell; return its prefix."""
    # start-up: the scikit-learn patcher is only needed once an estimator is evaluated.
    from jupyter_mlops.tracking.capture.sklearn import log_params

    state = session.state
    if hasattr(estimator, "predict"):
        state.claim_primary(estimator)
    prefix = state.prefix(estimator, session.name_of(estimator))
    log_params(session, estimator.get_params(deep=True), prefix)
    return prefix


def record_learning_curve(
    session: Session, owner: Any, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any
) -> None:
    """Record the mean train and test scores of ``learning_curve``, step = training samples."""
    # start-up: capture loads with the extension; numpy only once a learning curve ran
    import numpy as np

    sizes, train, test = result[0], result[1], result[2]
    for part, scores in (("train_score", train), ("test_score", test)):
        means = np.asarray(scores, dtype=float).mean(axis=1)
        for size, mean in zip(sizes, means, strict=True):
            session.log_metric(f"learning_curve.{part}.mean", mean, step=int(size))


def record_permutation_importance(
    session: Session, owner: Any, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any
) -> None:
    """Record each feature's mean permutation importance."""
    means = getattr(result, "importances_mean", None)
    if means is None or len(means) > MAX_FEATURES:
        return
    X = args[1] if len(args) > 1 else kwargs.get("X")
    columns = getattr(X, "columns", None)
    names = [str(c) for c in columns] if columns is not None else []
    if len(names) != len(means):
        names = [f"x{i}" for i in range(len(means))]
    for name, value in zip(names, means, strict=True):
        session.log_metric(f"permutation_importance.{name}", value)


REPORT_AVERAGES = ("macro avg", "weighted avg")


def record_classification_report(
    session: Session, owner: Any, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any
) -> None:
    """Record the accuracy and the averages of ``classification_report``."""
    key = called_as(session, "classification_report")
    if isinstance(result, str):
        report = _parse_report(result)
    elif isinstance(result, dict):
        report = result
    else:
        return
    if "accuracy" in report:
        accuracy = report["accuracy"]
        session.log_metric(
            f"{key}.accuracy", accuracy.get("f1-score") if isinstance(accuracy, dict) else accuracy
        )
    for average in REPORT_AVERAGES:
        row = report.get(average)
        if isinstance(row, dict):
            for measure in ("precision", "recall", "f1-score"):
                if measure in row:
                    session.log_metric(f"{key}.{average.replace(' ', '_')}.{measure}", row[measure])
    truth = args[0] if args else kwargs.get("y_true")
    session.log_data("evaluation", truth, "y_true")


def _parse_report(text: str) -> dict[str, Any]:
    """The accuracy and average rows of a printed ``classification_report``."""
    report: dict[str, Any] = {}
    for line in text.splitlines():
        words = line.split()
        if words[:1] == ["accuracy"] and len(words) >= 3:
            report["accuracy"] = float(words[-2])
        for average in REPORT_AVERAGES:
            if line.strip().startswith(average) and len(words) >= 6:
                precision, recall, f1 = (float(w) for w in words[2:5])
                report[average] = {"precision": precision, "recall": recall, "f1-score": f1}
    return report


def _fixed(hook: Hook) -> Callable[[Any], Hook]:
    return lambda original: hook


def _entries() -> tuple[list[patching.PatchEntry], dict[int, tuple[Any, Any]]]:
    """Patch entries and namespace aliases for the loaded metric and CV modules (cached)."""
    global _cache_key, _cache
    modules = [
        sys.modules.get(name) for name in (*METRIC_MODULES, *CV_MODULES, *INSPECTION_MODULES)
    ]
    key = (len(sys.modules), *(id(m) for m in modules))
    if key == _cache_key:
        return _cache
    entries: list[patching.PatchEntry] = []
    aliases: dict[int, tuple[Any, Any]] = {}

    def add(owner_names: tuple[str, ...], name: str, make: Callable[[Any], Hook]) -> None:
        owners = [sys.modules.get(n) for n in owner_names]
        public = next((m for m in owners if m is not None and name in vars(m)), None)
        if public is None:
            return
        original = patching.original_of(vars(public)[name])
        if not callable(original):
            return
        wrapper = patching.cached_wrapper(original) or patching.wrap_function(
            original, make(original)
        )
        home = sys.modules.get(getattr(original, "__module__", "") or "")
        for owner in {id(m): m for m in [*owners, home] if m is not None}.values():
            if vars(owner).get(name) in (original, wrapper):
                entries.append(patching.entry(owner, name, original, wrapper))
        aliases[id(original)] = (original, wrapper)

    metrics = modules[0]
    if metrics is not None:
        for name in getattr(metrics, "__all__", ()):
            if is_metric_name(name):
                add(METRIC_MODULES, name, functools.partial(_metric_hook, name))
    for name in CV_FUNCTIONS:
        add(CV_MODULES, name, _fixed(record_cv))
    add(CV_MODULES, "learning_curve", _fixed(record_learning_curve))
    if metrics is not None:
        add(METRIC_MODULES, "classification_report", _fixed(record_classification_report))
    add(INSPECTION_MODULES, "permutation_importance", _fixed(record_permutation_importance))
    _cache_key, _cache = key, (entries, aliases)
    return _cache


class MetricsPatcher:
    """Record metric function values and cross-validation summaries."""

    def start(self, session: Session) -> None:
        if not any(
            name in sys.modules for name in (*METRIC_MODULES, *CV_MODULES, *INSPECTION_MODULES)
        ):
            return
        entries, aliases = _entries()
        session.patches.attrs(entries)
        session.aliases.update(aliases)

    def stop(self, session: Session) -> None:
        """Nothing to finish; the session undoes the patches."""
