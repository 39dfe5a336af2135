"""Capture scikit-learn estimators fitted and scored in a tracked cell.

What a fit records (outermost calls made by the user's code only: the steps a Pipeline fits,
the clones a search or ``cross_val_score`` fits, the ``LabelEncoder`` a metric fits inside are
not recorded). Everything but the data is recorded when the cell ends, once per estimator:

* **name** — the notebook variable holding the estimator when it is first named (``model`` for
  ``model = LogisticRegression().fit(X, y)``); when no variable holds it, or its name is taken
  by another estimator of the run, the lowercase class name made unique with ``_2``, ``_3``.
  Refitting the same object keeps its name (last value wins).
* **params** — ``get_params(deep=True)`` at fit time. The run's *primary* estimator (the first
  fitted one that can ``predict``: a model, a pipeline ending in a model, a search) logs them
  unprefixed, MLflow-style: ``C``, ``clf__C`` — except in a run that executes a notebook with
  parameters (a pipeline step, ``jupyter-mlops run``), where the bare names are the notebook's
  parameters and the primary estimator is prefixed too (:func:`param_prefix`). Every other
  estimator — later models, and transformers fitted on their own such as a ``StandardScaler`` —
  logs them as
  ``<name>.<param>``: ``forest.n_estimators``. Estimator-valued params are stored as their class
  name, classes (``dtype=np.float32``) as their import path, functions as their qualified name,
  containers as JSON; a value that cannot be described is ``<its class>``.
* **choices of the fit** — ``alpha_``, ``l1_ratio_``, ``C_``, ``best_threshold_``,
  ``n_features_``, ``n_components_`` as params (``LassoCV``'s ``alpha_``); ``oob_score_`` and
  ``best_score_`` as metrics; ``feature_importances_`` as the table
  ``feature_importances/<name>.csv``.
* **model** — ``run.log_model(estimator, <name>)``, i.e. ``models/<name>.skops``, with the
  signature (column names and dtypes) of the ``X`` it was fitted on; over ``max_model_size``
  only its fingerprint, and an identical model only once per run (:mod:`.models`).
* **data** — fingerprints of ``X`` and ``y`` as ``training`` inputs.
* **search CV** (``GridSearchCV``, ``RandomizedSearchCV``, the halving searches): besides the
  search's own params, ``best_params_`` as ``best.<param>``, ``best_score_`` as the metric
  ``best_cv_score`` and the scorer it is as the param ``best_cv_scorer``, ``refit_time_`` as
  ``refit_time``, ``cv_results_`` as the artifact ``cv_results.csv`` (kind ``table``),
  ``best_estimator_`` as the model, and one child run per best-ranked candidate
  (:mod:`.searches`). A search that is not the primary estimator prefixes these with
  ``<name>.``: ``grid_2.best.C``.

Each part is captured on its own: one that fails costs only itself (and one warning).

``estimator.score(X, y)`` records the metric ``score`` for the primary estimator and
``<name>.score`` for any other, with ``X`` and ``y`` as ``evaluation`` inputs; scored on the
very data it was fitted on, the key is ``train_score``. Repeated calls add steps.

Patching: ``fit``, ``fit_transform``, ``fit_predict`` and ``score`` are replaced on every class
that defines them in its own ``__dict__``, among the loaded subclasses of ``BaseEstimator`` and
their bases (mixins). The class list is cached per process and rebuilt only when modules were
imported or ``BaseEstimator`` gained direct subclasses. An estimator class *defined* in the
tracked cell itself is not patched until the next cell (its fits inside a Pipeline still are).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jupyter_mlops.tracking.capture import patching
from jupyter_mlops.tracking.capture.fingerprint import fingerprint
from jupyter_mlops.tracking.capture.models import save_model
from jupyter_mlops.tracking.capture.searches import log_candidates
from jupyter_mlops.tracking.capture.values import param_text
from jupyter_mlops.tracking.flavors import infer_signature

if TYPE_CHECKING:
    from jupyter_mlops.tracking.capture.session import Hook, Session

FIT_METHODS = ("fit", "fit_transform", "fit_predict")
SCORE_METHODS = ("score",)
MAX_KEY = 250
PENDING = "sklearn.fits"  # session.scratch key: id(estimator) -> Fitted, recorded at exit

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
        # skops (the model serializer) is imported by the first save, in the cell's thread:
        # importing it in the background races the user's own scikit-learn imports, and
        # Python can then hand the cell a partially initialized module (an ImportError).
        session.patches.attrs(patch_entries())

    def stop(self, session: Session) -> None:
        """Record the estimators fitted in the cell, each once, in its final state.

        Done at the end of the cell, so an estimator is named after the variable holding it
        even when the fit was the right-hand side: ``model = Model().fit(X, y)``.
        """
        pending: dict[int, Fitted] = session.scratch.pop(PENDING, {})
        state = session.state
        for fitted in pending.values():
            est = fitted.estimator
            state.label(est, session.name_of(est))
            session.guard(f"the fit of {type(est).__name__}", record_fit, session, fitted)


@dataclass
class Fitted:
    """What a fit in the cell left to record at the cell's end."""

    estimator: Any
    params: dict[str, Any]
    signature: Any


def record_fit(session: Session, fitted: Fitted) -> None:
    """Log a fitted estimator's params, choices, search results and model."""
    est = fitted.estimator
    state = session.state
    label = state.label(est)
    prefix = state.prefix(est)
    guard = session.guard
    guard("the params", log_params, session, fitted.params, param_prefix(session, est))
    guard("the fitted values", log_fitted, session, est, prefix)
    model = est
    if _is_search(est):
        model = getattr(est, "best_estimator_", None)
        guard("the search results", _record_search, session, est, prefix)
    if model is not None:
        guard(f"the model {label}", save_model, session, model, label, fitted.signature)


# -- hooks -------------------------------------------------------------------
def param_prefix(session: Session, est: Any) -> str:
    """The prefix of an estimator's params: ``<name>.`` for every estimator of a run that
    executes a notebook with parameters (the run ``$MLOPS_RUN_ID`` names: a pipeline step,
    ``jupyter-mlops run NB.ipynb``, a schedule), whose bare names are the notebook's own
    parameters (``-p C=0.5`` is ``C``, the model's is ``model.C``); elsewhere ``""`` for the
    primary estimator (see the module doc)."""
    if session.run.id == os.environ.get("MLOPS_RUN_ID"):
        return f"{session.state.label(est)}."
    return session.state.prefix(est)


def _xy(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
    X = args[0] if args else kwargs.get("X")
    y = args[1] if len(args) > 1 else kwargs.get("y", kwargs.get("Y"))
    return X, y


def _is_search(est: Any) -> bool:
    # RFECV and RidgeCV(store_cv_results=True) have a cv_results_ too, but are models.
    return hasattr(est, "cv_results_") and hasattr(est, "best_params_")


def on_fit(
    session: Session, est: Any, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any
) -> None:
    """Note a fitted estimator: its params and signature now, the rest at the cell's end.

    Each part is recorded on its own: one that cannot be captured costs only itself.
    """
    state = session.state
    if hasattr(est, "predict"):
        state.claim_primary(est)
    X, y = _xy(args, kwargs)
    params = session.guarded(f"the params of {type(est).__name__}", est.get_params, True) or {}
    signature = session.guarded("the input signature", infer_signature, X)
    # Recorded when the cell ends: a model refitted in a loop is serialized once.
    session.scratch.setdefault(PENDING, {})[id(est)] = Fitted(est, params, signature)
    digest = session.guarded("the training data", session.log_data, "training", X, "X")
    state.fitted_on[id(est)] = digest
    session.guard("the training labels", session.log_data, "training", y, "y")


def log_params(session: Session, params: dict[str, Any], prefix: str) -> None:
    """Log params as ``prefix + key`` with their short text; overlong keys are skipped."""
    texts = {
        prefix + str(key): param_text(value)
        for key, value in params.items()
        if len(prefix) + len(str(key)) <= MAX_KEY
    }
    session.run.log_params(texts)


#: Values a fit chooses (``LassoCV.alpha_``, a tuned threshold, RFECV's feature count): params.
FITTED_PARAMS = ("alpha_", "l1_ratio_", "C_", "best_threshold_", "n_features_", "n_components_")
#: Scores a fit computes (a tuned threshold's ``best_score_``): metrics.
FITTED_METRICS = ("oob_score_", "best_score_")
MAX_IMPORTANCES = 1000  # wider models do not get a feature-importance table


def log_fitted(session: Session, est: Any, prefix: str) -> None:
    """Log what the fit chose: selected hyperparameters, scores, feature importances."""
    if _is_search(est):
        return  # a search's choices are its best params, recorded by _record_search
    chosen = {name: getattr(est, name) for name in FITTED_PARAMS if _has(est, name)}
    if chosen:
        log_params(session, chosen, prefix)
    for name in FITTED_METRICS:
        if _has(est, name):
            session.log_metric(f"{prefix}{name}", getattr(est, name))
    importances = (
        getattr(est, "feature_importances_", None) if _has(est, "feature_importances_") else None
    )
    if importances is not None and 0 < len(importances) <= MAX_IMPORTANCES:
        names = getattr(est, "feature_names_in_", None)
        features = [str(n) for n in names] if names is not None else []
        if len(features) != len(importances):
            features = [f"x{i}" for i in range(len(importances))]
        rows = "".join(f"{f},{float(v)!r}\n" for f, v in zip(features, importances, strict=True))
        label = session.state.label(est)
        session.run.log_artifact(
            f"feature,importance\n{rows}".encode(),
            f"feature_importances/{label}.csv",
            kind="table",
            media_type="text/csv",
        )


def _has(est: Any, name: str) -> bool:
    # Fitted attributes may be properties that raise when unavailable.
    try:
        return name in vars(est) or hasattr(est, name)
    except Exception:  # noqa: BLE001 - an attribute that cannot be read is not there
        return False


def _record_search(session: Session, search: Any, prefix: str) -> None:
    best = getattr(search, "best_params_", None)
    if isinstance(best, dict):
        log_params(session, best, f"{prefix}best.")
    score = getattr(search, "best_score_", None)
    if score is not None:
        session.log_metric(f"{prefix}best_cv_score", score)
        session.run.log_param(f"{prefix}best_cv_scorer", scorer_name(search))
    refit_time = getattr(search, "refit_time_", None)
    if refit_time is not None:
        session.log_metric(f"{prefix}refit_time", refit_time)
    # pandas (slow to import) only for a search's results table.
    import pandas as pd

    table = pd.DataFrame(search.cv_results_).to_csv(index=False).encode()
    session.run.log_artifact(table, f"{prefix}cv_results.csv", kind="table", media_type="text/csv")
    session.guard("the candidate runs", log_candidates, session, search)


def scorer_name(search: Any) -> str:
    """Which scorer ``best_score_`` is: the refit metric of a multi-metric search, else its
    scoring (``score`` when the estimator's own ``score`` method)."""
    refit = getattr(search, "refit", True)
    if isinstance(refit, str):
        return refit
    scoring = getattr(search, "scoring", None)
    if isinstance(scoring, str):
        return scoring
    if callable(scoring):
        return getattr(scoring, "__name__", None) or type(scoring).__name__
    return "score"


def on_score(
    session: Session, est: Any, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any
) -> None:
    """Record ``estimator.score`` as ``score`` or ``<label>.score``; X, y as evaluation data.

    Scored on the data it was fitted on, the key is ``train_score`` (``<label>.train_score``).
    """
    prefix = session.state.prefix(est, session.name_of(est))
    X, y = _xy(args, kwargs)
    fp = fingerprint(X)
    trained = session.state.fitted_on.get(id(est))
    if fp is not None and trained is not None and fp.digest == trained:
        session.log_metric(f"{prefix}train_score", result)
        return
    session.log_metric(f"{prefix}score", result)
    session.log_data("evaluation", X, "X")
    session.log_data("evaluation", y, "y")


_HOOKS: tuple[tuple[str, Hook], ...] = (
    *((name, on_fit) for name in FIT_METHODS),
    *((name, on_score) for name in SCORE_METHODS),
)
