"""Patch attributes for the length of a capture, and put them back exactly.

Wrappers are built once per original and cached, so the same original always gets the same
wrapper: a later capture recognises a wrapper left behind (say, bound into the notebook's
namespace by ``from sklearn.metrics import f1_score`` inside a tracked cell) and swaps it back.

A wrapper is inert unless a capture session is active *in the calling thread* and no recorded
call is already running (``session.depth == 0``). So a ``Pipeline.fit`` that fits its steps, a
``GridSearchCV`` that fits clones, or a metric that calls another metric records only the
outermost call, and joblib worker threads record nothing. Nor does a call a library makes
(:mod:`.callers`): only the user's code is recorded.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from jupyter_mlops.tracking.capture.callers import from_user

if TYPE_CHECKING:
    from jupyter_mlops.tracking.capture.session import Hook, Session

_get_ident = threading.get_ident
_getframe = sys._getframe

#: The innermost active capture session, read by every wrapper (None: capture is off).
_top: Session | None = None
#: Wrappers read ``_this._top``, not the global ``_top``: a class defined in a notebook is
#: pickled by value by cloudpickle (joblib's ``n_jobs``), wrappers in its ``__dict__`` with it,
#: and a function is pickled with the globals it uses. A module is pickled by reference; the
#: live session (locks, database connections) could not be pickled at all.
_this = sys.modules[__name__]
_stack: list[Session] = []
_stack_lock = threading.Lock()

#: id(wrapper) -> (wrapper, original) for every wrapper ever built in this process.
WRAPPERS: dict[int, tuple[Any, Any]] = {}
_by_original: dict[tuple[int, str], Any] = {}

#: (owner, name, original, replacement, owner's namespace, owner is a class): see :func:`entry`.
PatchEntry = tuple[Any, str, Any, Any, Any, bool]


def push(session: Session) -> None:
    """Make ``session`` the one wrappers record into."""
    global _top
    with _stack_lock:
        _stack.append(session)
        _top = session


def pop(session: Session) -> None:
    """Forget ``session``; wrappers record into the next innermost one, if any."""
    global _top
    with _stack_lock:
        if session in _stack:
            _stack.remove(session)
        _top = _stack[-1] if _stack else None


def sessions() -> list[Session]:
    """The active capture sessions, outermost first."""
    with _stack_lock:
        return list(_stack)


def active() -> Session | None:
    """The innermost capture session, or None."""
    return _top


def original_of(value: Any) -> Any:
    """The original behind one of our wrappers, else ``value`` itself."""
    hit = WRAPPERS.get(id(value))
    return hit[1] if hit is not None and hit[0] is value else value


def cached_wrapper(original: Any) -> Callable[..., Any] | None:
    """The wrapper :func:`wrap_function` built for ``original`` before, if any."""
    cached: Callable[..., Any] | None = _by_original.get((id(original), "function"))
    return cached


def wrap_function(original: Callable[..., Any], hook: Hook) -> Callable[..., Any]:
    """Return the (cached) recording wrapper of a module-level function."""
    key = (id(original), "function")
    cached = cached_wrapper(original)
    if cached is not None:
        return cached

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        session = _this._top
        if session is None or session.depth or session.thread != _get_ident():
            return original(*args, **kwargs)
        caller = _getframe(1)
        if not from_user(caller, session.user_ns):
            return original(*args, **kwargs)
        return session.call(original, hook, None, args, kwargs, caller)

    _remember(key, wrapper, original)
    return wrapper


def wrap_method(original: Any, hook: Hook) -> Any:
    """Return the (cached) recording replacement of a class attribute, or None if unsupported.

    Plain functions get a function wrapper. Non-data descriptors such as scikit-learn's
    ``available_if`` get a descriptor that keeps their behaviour (``hasattr`` stays honest).
    """
    key = (id(original), "method")
    cached = _by_original.get(key)
    if cached is not None:
        return cached
    if isinstance(original, staticmethod | classmethod | property):
        return None
    if callable(original) and hasattr(original, "__code__"):

        @functools.wraps(original)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            session = _this._top
            if session is None or session.depth or session.thread != _get_ident():
                return original(self, *args, **kwargs)
            caller = _getframe(1)
            if not from_user(caller, session.user_ns):
                return original(self, *args, **kwargs)
            bound = functools.partial(original, self)
            return session.call(bound, hook, self, args, kwargs, caller)

        return _remember(key, wrapper, original)
    if hasattr(original, "__get__") and not hasattr(original, "__set__"):
        return _remember(key, _DescriptorWrapper(original, hook), original)
    return None


def _remember(key: tuple[int, str], wrapper: Any, original: Any) -> Any:
    _by_original[key] = wrapper
    WRAPPERS[id(wrapper)] = (wrapper, original)
    return wrapper


class _DescriptorWrapper:
    """Wrap what a non-data descriptor returns for an instance, keeping its availability."""

    def __init__(self, original: Any, hook: Hook) -> None:
        self.original = original
        self.hook = hook
        self.__wrapped__ = original
        self.__doc__ = getattr(original, "__doc__", None)

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        bound = self.original.__get__(obj, owner)  # raises AttributeError when unavailable
        if obj is None:
            return bound
        hook = self.hook

        @functools.wraps(bound)
        def call(*args: Any, **kwargs: Any) -> Any:
            session = _this._top
            if session is None or session.depth or session.thread != _get_ident():
                return bound(*args, **kwargs)
            caller = _getframe(1)
            if not from_user(caller, session.user_ns):
                return bound(*args, **kwargs)
            return session.call(bound, hook, obj, args, kwargs, caller)

        return call


def entry(owner: Any, name: str, original: Any, replacement: Any) -> PatchEntry:
    """A patch of ``owner.name`` from ``original`` to ``replacement``, ready for :class:`Patches`.

    It holds the owner's namespace (a class's ``__dict__`` proxy is live, so keeping it saves
    building one per check: that alone was most of the cost of patching ~250 classes).
    """
    return (owner, name, original, replacement, owner.__dict__, isinstance(owner, type))


class Patches:
    """An undo log of attribute and mapping patches, undone in reverse order.

    Patching is idempotent: a value is replaced only while it still holds the expected
    original, so a second ``start`` of a patcher (after the cell imported a module) adds only
    what is new, and a patch someone else made since our class list was cached is never
    clobbered. Undo puts an original back only where our replacement is still in place, so a
    value the cell assigned on purpose is left alone.
    """

    def __init__(self) -> None:
        self._log: list[PatchEntry] = []

    def __len__(self) -> int:
        return len(self._log)

    def attrs(self, entries: list[PatchEntry]) -> None:
        """Apply each :func:`entry` whose owner still holds the original.

        Modules are patched through their ``__dict__`` (cheaper than ``setattr``); classes
        with ``setattr`` so their method caches are invalidated.
        """
        log = self._log
        for item in entries:
            owner, name, original, replacement, namespace, is_class = item
            if namespace.get(name) is original:
                if is_class:
                    setattr(owner, name, replacement)
                else:
                    namespace[name] = replacement
                log.append(item)

    def item(self, mapping: MutableMapping[str, Any], key: str, original: Any, new: Any) -> None:
        """Replace ``mapping[key]`` while it holds ``original``."""
        if mapping.get(key) is original:
            mapping[key] = new
            self._log.append((None, key, original, new, mapping, False))

    def restore(self) -> list[BaseException]:
        """Undo every patch, newest first, going on past failures.

        Returns:
            The errors met (empty when everything was restored).
        """
        errors: list[BaseException] = []
        log = self._log
        while log:
            owner, name, original, replacement, namespace, is_class = log.pop()
            try:
                if namespace.get(name) is replacement:
                    if is_class:
                        setattr(owner, name, original)
                    else:
                        namespace[name] = original
            except Exception as exc:  # noqa: BLE001 - keep restoring the rest
                errors.append(exc)
        return errors


def unwrap_namespace(namespace: MutableMapping[str, Any]) -> None:
    """Put originals back wherever ``namespace`` holds one of our wrappers."""
    found = [
        (key, hit[1])
        for key, value in namespace.items()
        if (hit := WRAPPERS.get(id(value))) is not None and hit[0] is value
    ]
    for key, original in found:
        namespace[key] = original
