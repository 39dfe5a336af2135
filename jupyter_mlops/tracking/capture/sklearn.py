"""Capture scikit-learn estimators fitted and scored in a tracked cell.

What a fit records (outermost calls only: the steps a Pipeline fits, the clones a search or
``cross_val_score`` fits are not recorded on their own):

* **params** — ``get_params(deep=True)``. The run's *primary* estimator (the first fitted one
  that can ``predict``: a model, a pipeline ending in a model, a search) logs them unprefixed,
  MLflow-style: ``C``, ``clf__C`` — except in a run that executes a notebook with parameters
  (a pipeline step, ``jupyter-mlops run``), where the bare names are the notebook's parameters
  and the primary estimator is prefixed too (:func:`param_prefix`). Every other estimator —
  later models, and transformers fitted on their own such as a ``StandardScaler`` — logs
  them as ``<label>.<param>``, where the label is the lowercase class name, made unique in
  the run with ``_2``, ``_3``:
  ``randomforestclassifier.n_estimators``, ``logisticregression_2.C``. Refitting the same
  object keeps its label (last value wins). Estimator-valued params are stored as their class
  name, functions as their qualified name, containers as JSON.
* **model** — ``run.log_model(estimator, <label>)``, i.e. ``models/<label>.skops``, with the
  signature (column names and dtypes) of the ``X`` it was fitted on. Models are saved when the
  cell ends (also when it raises), once per estimator in its final state, so refitting in a
  loop costs one save.
* **data** — fingerprints of ``X`` and ``y`` as ``training`` inputs.
* **search CV** (``GridSearchCV``, ``RandomizedSearchCV``, the halving searches): besides the
  search's own params, ``best_params_`` as ``best.<param>``, ``best_score_`` as the metric
  ``best_cv_score``, ``cv_results_`` as the artifact ``cv_results.csv`` (kind ``table``), and
  ``best_estimator_`` as the model ``models/<label of the search>`` (``gridsearchcv``). A
  search that is not the primary estimator prefixes the best params, the metric and the table
  with ``<label>.``: ``gridsearchcv_2.best.C``.

``estimator.score(X, y)`` records the metric ``score`` for the primary estimator and
``<label>.score`` for any other, with ``X`` and ``y`` as ``evaluation`` inputs. Repeated calls
add steps to the same key.

Patching: ``fit``, ``fit_transform``, ``fit_predict`` and ``score`` are replaced on every class
that defines them in its own ``__dict__``, among the loaded subclasses of ``BaseEstimator`` and
their bases (mixins). The class list is cached per process and rebuilt only when modules were
imported or ``BaseEstimator`` gained direct subclasses. An estimator class *defined* in the
tracked cell itself is not patched until the next cell (its fits inside a Pipeline still are).
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import TYPE_CHECKING, Any

from jupyter_mlops.tracking.capture import patching
from jupyter_mlops.tracking.capture.values import param_text
from jupyter_mlops.tracking.flavors import infer_signature

if TYPE_CHECKING:
    from jupyter_mlops.tracking.capture.session import Hook, Session

FIT_METHODS = ("fit", "fit_transform", "fit_predict")
SCORE_METHODS = ("score",)
MAX_KEY = 250
PENDING = "sklearn.models"  # session.scratch key: label -> (model, signature) to save at exit

_cache_key: tuple[int, int, int] | None = None
_cache_entries: list[patching.PatchEntry] = []


def _estimator_classes(base: type) -> set[type]:
    seen: set[type] = set()
    stack = [base]
    while stack:
        subclasses: list[type] = type.__subclasses__(stack.pop())
        for sub in subclasses:
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
    owners: set[type] = set()
    for cls in seen:
        owners.update(c for c in cls.__mro__ if c is not object)
    return owners


def patch_entries() -> list[patching.PatchEntry]:
    """A patch entry for every patchable estimator method of the loaded classes (cached)."""
    global _cache_key, _cache_entries
    base_module = sys.modules.get("sklearn.base")
    base = getattr(base_module, "BaseEstimator", None)
    if base is None:
        return []
    key = (id(base), len(sys.modules), len(type.__subclasses__(base)))
    if key == _cache_key:
        return _cache_entries
    entries: list[patching.PatchEntry] = []
    for cls in _estimator_classes(base):
        own = cls.__dict__
        for name, hook in _HOOKS:
            original = own.get(name)
            if original is None:
                continue
            original = patching.original_of(original)  # a session may be running
            wrapper = patching.wrap_method(original, hook)
            if wrapper is not None:
                entries.append(patching.entry(cls, name, original, wrapper))
    _cache_key, _cache_entries = key, entries
    return entries


class SklearnPatcher:
    """Record fitted estimators and ``estimator.score`` calls."""

    def start(self, session: Session) -> None:
        session.patches.attrs(patch_entries())

    def stop(self, session: Session) -> None:
        """Save the models fitted in the cell, each once, in its final state."""
        pending: dict[str, tuple[Any, Any]] = session.scratch.pop(PENDING, {})
        for label, (model, signature) in pending.items():
            session.guard(f"the model {label}", _save_model, session, model, label, signature)


def _save_model(session: Session, model: Any, label: str, signature: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # serializer warnings are not the notebook's business
        session.run.log_model(model, label, signature=signature)


# -- hooks -------------------------------------------------------------------
def _xy(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
    X = args[0] if args else kwargs.get("X")
    y = args[1] if len(args) > 1 else kwargs.get("y", kwargs.get("Y"))
    return X, y


def _is_search(est: Any) -> bool:
    return hasattr(est, "cv_results_")


def on_fit(
    session: Session, est: Any, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any
) -> None:
    """Record a fitted estimator: params, model, signature, training data."""
    state = session.state
    if hasattr(est, "predict"):
        state.claim_primary(est)
    label = state.label(est)
    prefix = state.prefix(est)
    X, y = _xy(args, kwargs)
    log_params(session, est.get_params(deep=True), param_prefix(session, est))
    model = est
    if _is_search(est):
        model = getattr(est, "best_estimator_", None)
        _record_search(session, est, prefix)
    if model is not None:
        # Saved when the cell ends: a model refitted in a loop is serialized once.
        session.scratch.setdefault(PENDING, {})[label] = (model, infer_signature(X))
    session.log_data("training", X, "X")
    session.log_data("training", y, "y")


def param_prefix(session: Session, est: Any) -> str:
    """The prefix of an estimator's params: ``<label>.`` for every estimator of a run that
    executes a notebook with parameters (the run ``$MLOPS_RUN_ID`` names: a pipeline step,
    ``jupyter-mlops run NB.ipynb``, a schedule), whose bare names are the notebook's own
    parameters (``-p C=0.5`` is ``C``, the model's is ``logisticregression.C``); elsewhere
    ``""`` for the primary estimator (see the module doc)."""
    if session.run.id == os.environ.get("MLOPS_RUN_ID"):
        return f"{session.state.label(est)}."
    return session.state.prefix(est)


def log_params(session: Session, params: dict[str, Any], prefix: str) -> None:
    """Log params as ``prefix + key`` with their short text; overlong keys are skipped."""
    texts = {
        prefix + str(key): param_text(value)
        for key, value in params.items()
        if len(prefix) + len(str(key)) <= MAX_KEY
    }
    session.run.log_params(texts)


def _record_search(session: Session, search: Any, prefix: str) -> None:
    best = getattr(search, "best_params_", None)
    if isinstance(best, dict):
        log_params(session, best, f"{prefix}best.")
    score = getattr(search, "best_score_", None)
    if score is not None:
        session.log_metric(f"{prefix}best_cv_score", score)
    # pandas (slow to import) only for a search's results table.
    import pandas as pd

    table = pd.DataFrame(search.cv_results_).to_csv(index=False).encode()
    session.run.log_artifact(table, f"{prefix}cv_results.csv", kind="table", media_type="text/csv")


def on_score(
    session: Session, est: Any, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any
) -> None:
    """Record ``estimator.score`` as ``score`` or ``<label>.score``; X, y as evaluation data."""
    session.log_metric(f"{session.state.prefix(est)}score", result)
    X, y = _xy(args, kwargs)
    session.log_data("evaluation", X, "X")
    session.log_data("evaluation", y, "y")


_HOOKS: tuple[tuple[str, Hook], ...] = (
    *((name, on_fit) for name in FIT_METHODS),
    *((name, on_score) for name in SCORE_METHODS),
)
