"""Capture values of scikit-learn metric functions and cross-validation scores.

Every public function of ``sklearn.metrics`` whose name ends in ``_score``, ``_error`` or
``_loss`` (plus ``auc`` and ``matthews_corrcoef``) records, when called in a tracked cell and
returning a single number, a metric named after the function: ``roc_auc_score``. Calling it
again in the same run records the next *step* of the same key (0, 1, 2, ...), so a metric
computed in a loop becomes a curve and names stay stable; the latest value is the run's value.
Its ``y_true`` (``labels_true``) is fingerprinted as an ``evaluation`` input.

``cross_val_score`` records ``cross_val_score.mean`` and ``cross_val_score.std`` of the fold
scores, and ``cross_validate`` records ``cross_validate.<key>.mean`` / ``.std`` for each of its
``test_*`` and ``train_*`` arrays; the fits and scores inside them are not recorded separately.

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

if TYPE_CHECKING:
    from jupyter_mlops.tracking.capture.session import Hook, Session

SUFFIXES = ("_score", "_error", "_loss")
EXTRA_METRICS = frozenset({"auc", "matthews_corrcoef"})
TRUTH_PARAMS = frozenset({"y_true", "labels_true"})
METRIC_MODULES = ("sklearn.metrics", "sklearn.metrics.cluster")
CV_MODULES = ("sklearn.model_selection", "sklearn.model_selection._validation")
CV_FUNCTIONS = ("cross_val_score", "cross_validate")

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
        session.log_metric(name, result)
        if truth is not None:
            session.log_data("evaluation", args[0] if args else kwargs.get(truth), "y_true")

    return record_metric


def record_cv(
    session: Session, owner: Any, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any
) -> None:
    """Record ``cross_val_score`` / ``cross_validate`` summaries and their data."""
    # numpy: scikit-learn's cross-validation has loaded it already.
    import numpy as np

    if isinstance(result, dict):
        for key, values in result.items():
            if isinstance(key, str) and key.startswith(("test_", "train_")):
                array = np.asarray(values, dtype=float)
                session.log_metric(f"cross_validate.{key}.mean", array.mean())
                session.log_metric(f"cross_validate.{key}.std", array.std())
    else:
        array = np.asarray(result, dtype=float)
        session.log_metric("cross_val_score.mean", array.mean())
        session.log_metric("cross_val_score.std", array.std())
    X = args[1] if len(args) > 1 else kwargs.get("X")
    y = args[2] if len(args) > 2 else kwargs.get("y")
    session.log_data("evaluation", X, "X")
    session.log_data("evaluation", y, "y")


def _cv_hook(original: Callable[..., Any]) -> Hook:
    return record_cv


def _entries() -> tuple[list[patching.PatchEntry], dict[int, tuple[Any, Any]]]:
    """Patch entries and namespace aliases for the loaded metric and CV modules (cached)."""
    global _cache_key, _cache
    modules = [sys.modules.get(name) for name in (*METRIC_MODULES, *CV_MODULES)]
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
        add(CV_MODULES, name, _cv_hook)
    _cache_key, _cache = key, (entries, aliases)
    return _cache


class MetricsPatcher:
    """Record metric function values and cross-validation summaries."""

    def start(self, session: Session) -> None:
        if "sklearn.metrics" not in sys.modules and "sklearn.model_selection" not in sys.modules:
            return
        entries, aliases = _entries()
        session.patches.attrs(entries)
        session.aliases.update(aliases)

    def stop(self, session: Session) -> None:
        """Nothing to finish; the session undoes the patches."""
