"""What the framework hooks share: wrappers with a before and an after step, naming, saving.

A framework wrapper (:func:`wrap`) records only the outermost call made in the tracked thread,
like the scikit-learn ones, and also lets a call *made by the framework itself* go through
untouched (a statsmodels test that fits an OLS inside is not the user's fit). Unlike a plain
hook it can act before the call too: add a callback, attach a logger, wrap an objective.
"""

from __future__ import annotations

import functools
import json
import sys
import threading
import warnings
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jupyter_mlops.store import runs as q
from jupyter_mlops.tracking.capture import patching
from jupyter_mlops.tracking.capture.models import save_after_output
from jupyter_mlops.tracking.capture.values import param_text
from jupyter_mlops.tracking.environment import imported_packages
from jupyter_mlops.tracking.flavors import infer_signature

if TYPE_CHECKING:
    from jupyter_mlops.tracking.capture.session import Session
    from jupyter_mlops.tracking.run import Run

_get_ident = threading.get_ident
MAX_KEY = 250
PENDING = "frameworks.models"  # session.scratch key: label -> (model, signature) to save at exit

#: ``before(session, owner, args, kwargs) -> (args, kwargs, state)``: may change the call.
Before = Callable[["Session", Any, tuple[Any, ...], dict[str, Any]], tuple[Any, Any, Any]]
#: ``after(session, owner, args, kwargs, result, state)``: records a call that returned.
After = Callable[["Session", Any, tuple[Any, ...], dict[str, Any], Any, Any], None]
#: ``failed(session, owner, state)``: undoes what ``before`` did when the call raised.
Failed = Callable[["Session", Any, Any], None]


def unchanged(
    session: Session, owner: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, Any, Any]:
    """The default ``before``: the call as it is, no state."""
    return args, kwargs, None


@dataclass(frozen=True)
class Capture:
    """What a framework wrapper does around one call; ``package`` is the framework's own."""

    package: str
    after: After
    before: Before = unchanged
    failed: Failed | None = None


_cache: dict[tuple[int, int], Any] = {}


def wrap(original: Any, capture: Capture, *, method: bool = True) -> Any:
    """The (cached) recording wrapper of a method (``method``) or a module function."""
    key = (id(original), id(capture))
    cached = _cache.get(key)
    if cached is not None:
        return cached
    own = capture.package + "."
    this = patching._this

    if method:

        @functools.wraps(original)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            session = this._top
            if (
                session is None
                or session.depth
                or session.thread != _get_ident()
                or sys._getframe(1).f_globals.get("__name__", "").startswith(own)
            ):
                return original(self, *args, **kwargs)
            return _call(session, capture, functools.partial(original, self), self, args, kwargs)

    else:

        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            session = this._top
            if (
                session is None
                or session.depth
                or session.thread != _get_ident()
                or sys._getframe(1).f_globals.get("__name__", "").startswith(own)
            ):
                return original(*args, **kwargs)
            return _call(session, capture, original, None, args, kwargs)

    _cache[key] = wrapper
    patching.WRAPPERS[id(wrapper)] = (wrapper, original)
    return wrapper


def _call(
    session: Session,
    capture: Capture,
    func: Callable[..., Any],
    owner: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    """Run one outermost call with its before and after steps; the result is unchanged."""
    what = _describe(func, owner)
    session.depth += 1  # nothing nested records, and neither do our own steps
    try:
        state: Any = None
        ready = True
        try:
            new_args, new_kwargs, state = capture.before(session, owner, args, dict(kwargs))
        except Exception as exc:  # noqa: BLE001 - capture must never break the user's cell
            session.warn(what, exc)
            new_args, new_kwargs, ready = args, kwargs, False
        try:
            result = func(*new_args, **new_kwargs)
        except BaseException:
            if ready and capture.failed is not None:
                session.guard(what, capture.failed, session, owner, state)
            raise
        if ready:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    capture.after(session, owner, new_args, new_kwargs, result, state)
            except Exception as exc:  # noqa: BLE001 - capture must never break the user's cell
                session.warn(what, exc)
        return result
    finally:
        session.depth -= 1


def _describe(func: Any, owner: Any) -> str:
    target = getattr(func, "func", func)
    name = getattr(target, "__name__", None) or type(target).__name__
    return f"{type(owner).__name__}.{name}" if owner is not None else str(name)


def patch_methods(
    session: Session, classes: Iterable[type], names: Iterable[str], capture: Capture
) -> None:
    """Patch each of ``names`` that a class of ``classes`` defines in its own ``__dict__``."""
    entries = []
    for cls in classes:
        own = cls.__dict__
        for name in names:
            found = own.get(name)
            if found is None or not callable(found):
                continue
            original = patching.original_of(found)
            entries.append(patching.entry(cls, name, original, wrap(original, capture)))
    session.patches.attrs(entries)


def patch_function(session: Session, module: Any, name: str, capture: Capture) -> None:
    """Patch ``module.name``; the notebook's own bindings of it are swapped too."""
    found = getattr(module, name, None)
    if found is None:
        return
    original = patching.original_of(found)
    wrapper = wrap(original, capture, method=False)
    session.patches.attrs([patching.entry(module, name, original, wrapper)])
    session.aliases[id(original)] = (original, wrapper)


def subclasses(base: type) -> list[type]:
    """``base`` and every loaded subclass of it."""
    seen: dict[type, None] = {base: None}
    stack = [base]
    while stack:
        found: list[type] = type.__subclasses__(stack.pop())
        for sub in found:
            if sub not in seen:
                seen[sub] = None
                stack.append(sub)
    return list(seen)


# -- recording ---------------------------------------------------------------
def prefix_of(session: Session, model: Any) -> tuple[str, str]:
    """The model's run-wide label and key prefix (``""`` for the run's primary model)."""
    state = session.state
    state.claim_primary(model)
    return state.label(model), state.prefix(model)


def log_params(session: Session, params: Mapping[str, Any], prefix: str = "") -> None:
    """Log params as ``prefix + key`` with their short text; overlong keys are skipped."""
    texts = {
        prefix + str(key): param_text(value)
        for key, value in params.items()
        if len(prefix) + len(str(key)) <= MAX_KEY
    }
    if texts:
        session.run.log_params(texts)


def log_curves(
    session: Session, curves: Mapping[str, Mapping[str, Iterable[Any]]], prefix: str = ""
) -> None:
    """Log ``{data set: {metric: [value per iteration]}}`` as ``<set>.<metric>`` by step."""
    for data_name, metrics in curves.items():
        for metric, values in metrics.items():
            key = f"{prefix}{data_name}.{metric}"
            if len(key) > MAX_KEY:
                continue
            for step, value in enumerate(values):
                session.run.log_metric(key, float(value), step)


def log_metric(session: Session, key: str, value: Any, step: int | None = None) -> None:
    """Log one number into the session's run (skipping what is not a number)."""
    log_metric_to(session.run, key, value, step)


def log_metric_to(run: Run, key: str, value: Any, step: int | None = None) -> None:
    """:func:`log_metric` into a given run."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return
    if len(key) <= MAX_KEY:
        run.log_metric(key, number, step)


def save_later(session: Session, label: str, model: Any, signature: Any = None) -> None:
    """Save ``model`` as ``models/<label>`` when the cell ends (once, in its final state)."""
    session.scratch.setdefault(PENDING, {})[label] = (model, signature)


def log_best(
    session: Session, prefix: str, iteration: Any, scores: Mapping[str, Mapping[str, Any]] | None
) -> None:
    """Early stopping's best iteration and its score per eval set and metric."""
    if iteration is not None:
        log_metric(session, f"{prefix}best_iteration", iteration)
    for data_name, metrics in (scores or {}).items():
        for metric, value in metrics.items():
            log_metric(session, f"{prefix}best_score.{data_name}.{metric}", value)


def save_fitted(
    session: Session,
    label: str,
    est: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    evals: Iterable[tuple[Any, Any]] = (),
) -> None:
    """Save a fitted sklearn-style ``est`` later; fingerprint its training and eval data."""
    X = args[0] if args else kwargs.get("X")
    y = args[1] if len(args) > 1 else kwargs.get("y")
    save_later(session, label, est, infer_signature(X))
    session.log_data("training", X, "X")
    session.log_data("training", y, "y")
    for X_eval, y_eval in evals:
        session.log_data("evaluation", X_eval, "X_eval")
        session.log_data("evaluation", y_eval, "y_eval")


def save_pending(session: Session) -> None:
    """Save the models :func:`save_later` collected (each failure is one warning)."""
    pending: dict[str, tuple[Any, Any]] = session.scratch.pop(PENDING, {})
    for label, (model, signature) in pending.items():
        # In a notebook, after the cell's output is shown (:mod:`..models`).
        save_after_output(session, session.run, model, label, signature)


def frame_or_array(value: Any) -> Any:
    """A torch tensor as a numpy array (for fingerprints and signatures), else ``value``."""
    if type(value).__module__.startswith("torch") and hasattr(value, "numpy"):
        return value.detach().cpu().numpy()
    return value


# -- the framework's version in the run's environment -----------------------
_noted: weakref.WeakSet[Run] = weakref.WeakSet()


def note_versions(session: Session, distributions: Iterable[str]) -> None:
    """Add the frameworks' versions to the run's environment snapshot when it lacks them.

    The snapshot is taken as the run starts; a framework imported later in the cell is not
    in it yet.
    """
    run = session.run
    wanted = set(distributions)
    if not wanted or run in _noted:
        return
    _noted.add(run)
    run.wait_for_environment()
    record = q.load_run(run.store, run.id)
    env = dict(record.environment)
    if not env:  # the run was started without an environment snapshot
        return
    packages = dict(env.get("packages") or {})
    now = imported_packages()
    missing = {name: now[name] for name in wanted if name in now and name not in packages}
    if not missing:
        return
    packages.update(missing)
    env["packages"] = dict(sorted(packages.items()))
    with run.store.write() as conn:
        q.set_environment(conn, run.id, {"environment": json.dumps(env, default=str)})
