"""One capture session (a tracked cell) and the per-run naming state it records with.

A session is entered for one cell. It switches its patchers on, lets wrappers record into its
run, and on exit switches them off again. What must stay consistent across the cells of one
run (estimator names, the primary estimator, inputs already recorded) lives in a
:class:`RunState` attached to the run.
"""

from __future__ import annotations

import os
import threading
import warnings
import weakref
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, Protocol

from jupyter_mlops.config import CONFIG_KEYS, Config, find_root, load_config
from jupyter_mlops.errors import MlopsError, MlopsWarning
from jupyter_mlops.tracking.capture import patching
from jupyter_mlops.tracking.capture.datasets import ReadFrame, note_use
from jupyter_mlops.tracking.capture.fingerprint import fingerprint
from jupyter_mlops.tracking.run import Run

#: ``hook(session, owner, args, kwargs, result)``: records one outermost call that returned.
#: ``owner`` is the instance for methods (``args`` then excludes it), None for functions.
Hook = Callable[["Session", Any, tuple[Any, ...], dict[str, Any], Any], None]


class Patcher(Protocol):
    """Switches one kind of capture on for a session and off again.

    ``start`` may be called again in the same session (after the cell imported a module) and
    must then add only what is new; patches go through ``session.patches`` so they are undone
    in reverse order. ``stop`` does the patcher's end-of-cell work (saving figures, say).
    """

    def start(self, session: Session) -> None:
        """Switch capture on (idempotent within a session)."""

    def stop(self, session: Session) -> None:
        """Finish the session's work; patches are undone by the session afterwards."""


def _ref(obj: Any) -> Callable[[], Any]:
    try:
        return weakref.ref(obj)
    except TypeError:  # objects without weakref support are kept alive instead
        return lambda: obj


@dataclass
class RunState:
    """What capture remembers for a run across its cells."""

    labels: dict[int, tuple[Callable[[], Any], str]] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    primary: Callable[[], Any] | None = None
    inputs: set[tuple[str, str]] = field(default_factory=set)
    reads: list[ReadFrame] = field(default_factory=list)
    #: id(estimator) -> digest of the X it was last fitted on (to tell train from test scores).
    fitted_on: dict[int, str | None] = field(default_factory=dict)
    #: Digests of the models captured in the run (an identical model is saved once).
    saved_models: set[str] = field(default_factory=set)
    sessions: int = 0

    def label(self, obj: Any, hint: str | None = None) -> str:
        """The run-wide name of an estimator, fixed the first time it is asked for.

        ``hint`` (the notebook variable holding it) is used when free; else the lowercase
        class name, with ``_2``, ``_3`` on repeats.
        """
        hit = self.labels.get(id(obj))
        if hit is not None and hit[0]() is obj:
            return hit[1]
        if hint is not None and hint.isidentifier() and hint not in self.used:
            name = hint
        else:
            base = type(obj).__name__.lower()
            name, n = base, 1
            while name in self.used:
                n += 1
                name = f"{base}_{n}"
        self.used.add(name)
        self.labels[id(obj)] = (_ref(obj), name)
        return name

    def claim_primary(self, obj: Any) -> None:
        """Make ``obj`` the run's primary estimator unless one was claimed already."""
        if self.primary is None:
            self.primary = _ref(obj)

    def is_primary(self, obj: Any) -> bool:
        return self.primary is not None and self.primary() is obj

    def prefix(self, obj: Any, hint: str | None = None) -> str:
        """``""`` for the primary estimator, else ``"<label>."``."""
        return "" if self.is_primary(obj) else f"{self.label(obj, hint)}."


_states: weakref.WeakKeyDictionary[Run, RunState] = weakref.WeakKeyDictionary()
_states_lock = threading.Lock()


def run_state(run: Run) -> RunState:
    """The capture state of ``run`` (created on first use)."""
    with _states_lock:
        state = _states.get(run)
        if state is None:
            state = _states[run] = RunState()
        return state


class Session:
    """A capture switched on for one cell, recording into ``run``."""

    def __init__(
        self,
        run: Run,
        user_ns: MutableMapping[str, Any] | None,
        patchers: list[Patcher],
    ) -> None:
        self.run = run
        self.user_ns = user_ns
        self.patchers = patchers
        self.thread = threading.get_ident()
        self.depth = 0
        self.state = run_state(run)
        self.state.sessions += 1
        self.patches = patching.Patches()
        #: id(original) -> (original, wrapper): functions to swap where the namespace holds them.
        self.aliases: dict[int, tuple[Any, Any]] = {}
        #: Per-session state a patcher shares with its wrappers, by patcher name.
        self.scratch: dict[str, Any] = {}
        #: The frame of the call being recorded (None outside a hook).
        self.caller: FrameType | None = None
        self._warned: set[str] = set()
        self._config: Config | bool | None = None
        self._deferred: list[tuple[str, BaseException]] | None = None
        self._stopped = False

    # -- lifetime ------------------------------------------------------------
    def start(self) -> None:
        """Switch every patcher on and make this the recording session."""
        patching.push(self)
        self.refresh()

    def refresh(self) -> None:
        """(Re)start the patchers, then point namespace aliases at the wrappers."""
        self.depth += 1
        try:
            for patcher in self.patchers:
                self.guard(f"start {type(patcher).__name__}", patcher.start, self)
            self.guard("swap names in the namespace", self._swap_aliases)
        finally:
            self.depth -= 1

    def stop(self) -> None:
        """Finish each patcher's work and undo every patch, newest first."""
        if self._stopped:
            return
        self._stopped = True
        self.depth += 1  # nothing records while tearing down
        try:
            for patcher in reversed(self.patchers):
                self.guard(f"stop {type(patcher).__name__}", patcher.stop, self)
        finally:
            patching.pop(self)
            errors = self.patches.restore()
            ns = self.user_ns
            if ns is not None and not any(s.user_ns is ns for s in patching.sessions()):
                try:
                    patching.unwrap_namespace(ns)
                except Exception as exc:  # noqa: BLE001 - a strange namespace must not break the cell
                    errors.append(exc)
            if errors:
                self.warn("restore patched functions", errors[0])

    def _swap_aliases(self) -> None:
        ns, aliases = self.user_ns, self.aliases
        if ns is None or not aliases:
            return
        found = [
            (key, hit)
            for key, value in ns.items()
            if (hit := aliases.get(id(value))) is not None and hit[0] is value
        ]
        for key, (original, wrapper) in found:
            self.patches.item(ns, key, original, wrapper)

    # -- recording -----------------------------------------------------------
    def call(
        self,
        func: Callable[..., Any],
        hook: Hook,
        owner: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        caller: FrameType | None = None,
    ) -> Any:
        """Run an outermost patched call, then record it; the result is returned unchanged.

        ``caller`` (the frame that made the call) is :attr:`caller` while the hook runs.
        """
        self.depth += 1
        try:
            result = func(*args, **kwargs)
        finally:
            self.depth -= 1
        failure = None
        self.depth += 1
        self.caller = caller
        deferred = self._deferred = []
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                hook(self, owner, args, kwargs, result)
        except Exception as exc:  # noqa: BLE001 - capture must never break the user's cell
            failure = exc
        finally:
            self.depth -= 1
            self.caller = None  # frames hold the cell's locals: never keep one
            self._deferred = None
        # Warned here, outside the hook's silenced warnings.
        for what, error in deferred:
            self.warn(what, error)
        if failure is not None:
            self.warn(_describe(func, owner), failure)
        return result

    def guard(self, what: str, fn: Callable[..., Any], *args: Any) -> None:
        """Run a piece of capture machinery, turning a failure into one warning."""
        self.guarded(what, fn, *args)

    def guarded(self, what: str, fn: Callable[..., Any], *args: Any) -> Any:
        """:meth:`guard` that returns ``fn``'s result (None when it failed)."""
        try:
            return fn(*args)
        except Exception as exc:  # noqa: BLE001 - capture must never break the user's cell
            self.warn(what, exc)
            return None

    def warn(self, what: str, exc: BaseException) -> None:
        """Warn once per session and kind of failure that something was not captured."""
        if self._deferred is not None:  # inside a hook: warned when the hook returns
            self._deferred.append((what, exc))
            return
        key = f"{what}:{type(exc).__name__}"
        if key in self._warned:
            return
        self._warned.add(key)
        warnings.warn(
            f"jupyter_mlops could not capture {what}: {type(exc).__name__}: {exc}. "
            "The cell itself is unaffected.",
            MlopsWarning,
            stacklevel=4,
        )

    # -- helpers for hooks ---------------------------------------------------
    def setting(self, key: str, default: int) -> int:
        """A capture setting of the project (``max_candidate_runs``, ``max_model_size``)."""
        if self._config is None:
            try:
                self._config = project_config()
            except MlopsError as exc:  # a broken pyproject must not break the cell
                self.warn("the settings", exc)
                self._config = False
        value = getattr(self._config, key, default) if self._config else default
        return int(value)

    def name_of(self, value: Any) -> str | None:
        """The notebook variable holding ``value`` (a public name preferred), if any."""
        ns = self.user_ns
        if ns is None:
            return None
        fallback = None
        for key, item in ns.items():
            if item is value:
                if not key.startswith("_"):
                    return key
                fallback = fallback or key
        return fallback

    def log_data(self, role: str, value: Any, default_source: str) -> str | None:
        """Record a fingerprint of ``value`` as a run input, once per role and digest.

        Returns:
            The digest of ``value`` (None when it cannot be fingerprinted).
        """
        if self.state.reads:
            note_use(self, role, value)
        fp = fingerprint(value)
        if fp is None:
            return None
        key = (role, fp.digest)
        if key in self.state.inputs:
            return fp.digest
        self.state.inputs.add(key)
        self.run.log_input(
            role=role,
            kind=fp.kind,
            source=self.name_of(value) or default_source,
            digest=fp.digest,
            size=fp.size,
            info=fp.info,
        )
        return fp.digest

    def log_metric(self, key: str, value: Any, step: int | None = None) -> None:
        """Record a scalar metric (at the key's next step by default); non-scalars are skipped."""
        number = scalar(value)
        if number is not None and len(key) <= 250:
            self.run.log_metric(key, number, step)


_configs: dict[tuple[Any, ...], Config] = {}


def project_config() -> Config:
    """The project's settings, read again only when the folder, the ``MLOPS_*`` variables or
    ``pyproject.toml`` changed (reading it costs tens of milliseconds, once per cell else)."""
    root = find_root()
    pyproject = root / "pyproject.toml"
    try:
        mtime: int | None = pyproject.stat().st_mtime_ns
    except OSError:
        mtime = None
    env = tuple(os.environ.get(f"MLOPS_{name.upper()}") for name in CONFIG_KEYS)
    key = (str(root), os.getcwd(), mtime, env)
    config = _configs.get(key)
    if config is None:
        config = load_config()
        _configs.clear()
        _configs[key] = config
    return config


def scalar(value: Any) -> float | None:
    """``value`` as a float when it is a single real number, else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if getattr(value, "shape", None) == () and getattr(
        getattr(value, "dtype", None), "kind", ""
    ) in (
        "i",
        "u",
        "f",
    ):
        return float(value)
    return None


def _describe(func: Any, owner: Any) -> str:
    target = getattr(func, "func", func)  # functools.partial of a method
    name = getattr(target, "__name__", None) or type(target).__name__
    if owner is not None:
        return f"{type(owner).__name__}.{name}"
    return str(name)
