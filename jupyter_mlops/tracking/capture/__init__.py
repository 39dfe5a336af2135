"""Automatic capture inside a tracked cell: switched on for the cell, restored after.

Used by the magics::

    with capturing(run, user_ns=shell.user_ns):
        ...  # the cell runs here; fits, metric calls, pandas reads, figures are recorded

    log_injected_params(run, shell)  # once per run: papermill's injected parameters

Nothing is patched at import, and nothing stays patched after the ``with`` block, even when
the cell raises. Capture never breaks a cell: a failure while recording becomes one
:class:`~jupyter_mlops.MlopsWarning` and the cell's result is returned unchanged. Only calls
made in the thread that entered ``capturing`` are recorded. What is recorded, and under which
names, is documented in the patcher modules: :mod:`.sklearn` (params, models, search CV,
``estimator.score``), :mod:`.metrics` (metric functions, repeated calls as steps,
cross-validation), :mod:`.pandas_io` (files read), :mod:`.figures` (PNG figures),
:mod:`.papermill` (injected parameters).

Patchers are a small registry: :func:`register` adds one (a factory called once per cell, so
the patcher may keep per-cell state), :func:`get` returns one, :func:`names` lists them in the
order they start. Packages can add patchers through the ``jupyter_mlops.capture`` entry-point
group (loaded on the first tracked cell, never at import).
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from importlib.metadata import entry_points
from typing import Any

from jupyter_mlops.errors import MlopsUsageError, MlopsWarning
from jupyter_mlops.tracking.capture.figures import FiguresPatcher
from jupyter_mlops.tracking.capture.frameworks import FrameworksPatcher
from jupyter_mlops.tracking.capture.imports import ImportWatcher
from jupyter_mlops.tracking.capture.metrics import MetricsPatcher
from jupyter_mlops.tracking.capture.pandas_io import PandasReadersPatcher
from jupyter_mlops.tracking.capture.papermill import injected_params, log_injected_params
from jupyter_mlops.tracking.capture.session import Patcher, Session
from jupyter_mlops.tracking.capture.sklearn import SklearnPatcher
from jupyter_mlops.tracking.run import Run

__all__ = [
    "Patcher",
    "capturing",
    "get",
    "injected_params",
    "log_injected_params",
    "names",
    "register",
]

ENTRY_POINT_GROUP = "jupyter_mlops.capture"
PatcherFactory = Callable[[], Patcher]

_registry: dict[str, PatcherFactory] = {}
_factories: list[PatcherFactory] = []
_loaded = False
_lock = threading.Lock()


def _builtins() -> dict[str, PatcherFactory]:
    return {
        "imports": ImportWatcher,
        # Before sklearn: XGBoost's and LightGBM's estimators are scikit-learn estimators too.
        "frameworks": FrameworksPatcher,
        "sklearn": SklearnPatcher,
        "metrics": MetricsPatcher,
        "pandas": PandasReadersPatcher,
        "figures": FiguresPatcher,
    }


def _load() -> None:
    global _loaded
    with _lock:
        if _loaded:
            return
        for name, factory in _builtins().items():
            _registry.setdefault(name, factory)
        _loaded = True
    try:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name not in _registry:
                register(ep.name, ep.load())
    except Exception as exc:  # noqa: BLE001 - a broken plugin must not break tracking
        warnings.warn(
            f"jupyter_mlops could not load a capture plugin: {type(exc).__name__}: {exc}",
            MlopsWarning,
            stacklevel=3,
        )
    _rebuild()


def _rebuild() -> None:
    with _lock:
        _factories[:] = list(_registry.values())


def register(name: str, factory: PatcherFactory) -> None:
    """Add (or replace) the patcher ``name``; ``factory()`` makes one per tracked cell."""
    if not isinstance(name, str) or not name:
        raise MlopsUsageError(f"A capture patcher needs a non-empty name, not {name!r}.")
    with _lock:
        _registry[name] = factory
    _rebuild()


def get(name: str) -> PatcherFactory:
    """The factory of the patcher ``name``.

    Raises:
        MlopsUsageError: When no patcher has that name.
    """
    _load()
    try:
        return _registry[name]
    except KeyError:
        known = ", ".join(_registry)
        raise MlopsUsageError(f"No capture patcher {name!r}; known: {known}.") from None


def names() -> list[str]:
    """The registered patchers, in the order they start."""
    _load()
    return list(_registry)


@contextmanager
def capturing(run: Run, *, user_ns: MutableMapping[str, Any] | None = None) -> Iterator[None]:
    """Record what the code inside does into ``run``; restore everything on exit.

    Args:
        run: The run to record into.
        user_ns: The notebook's namespace; names in it bound to captured functions (say,
            ``roc_auc_score`` imported in an earlier cell) are swapped for the recording
            wrappers during the block and swapped back after. Also used to name data inputs
            after the variables holding them.
    """
    if not _loaded:
        _load()
    session = Session(run, user_ns, [factory() for factory in _factories])
    try:
        session.start()
    except BaseException:
        session.stop()
        raise
    try:
        yield
    finally:
        session.stop()
