"""Capture for the training frameworks beyond scikit-learn, hooked only once they are imported.

One small module per framework (:mod:`.xgboost`, :mod:`.lightgbm`, :mod:`.catboost`,
:mod:`.statsmodels`, :mod:`.keras`, :mod:`.lightning`, :mod:`.torch`, :mod:`.optuna`), each
with ``start(session)`` and ``stop(session)``. :class:`FrameworksPatcher` starts a module only
when its framework is in ``sys.modules`` already: at the cell's start, or when the cell
imports it (the session restarts its patchers then, see :mod:`..imports`). A framework the
notebook never imports costs one dictionary look-up per cell, and capture never imports one.
Everything a module patches goes through ``session.patches`` and is undone when the cell ends,
also when it raises. What each framework records is documented in its module and in
``docs/reference/frameworks.md``.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING

from jupyter_mlops.tracking.capture.frameworks._common import note_versions

if TYPE_CHECKING:
    from jupyter_mlops.tracking.capture.session import Session

#: Hook module -> the modules whose presence in ``sys.modules`` switches it on (any of them).
#: Keras comes before torch: a Keras 3 model on the torch backend is a ``torch.nn.Module``.
TRIGGERS: dict[str, tuple[str, ...]] = {
    "xgboost": ("xgboost",),
    "lightgbm": ("lightgbm",),
    "catboost": ("catboost",),
    "statsmodels": ("statsmodels.base.model",),
    "keras": ("keras",),
    "lightning": ("lightning.pytorch", "pytorch_lightning"),
    "torch": ("torch",),
    "optuna": ("optuna",),
}
STARTED = "frameworks.started"  # session.scratch key: the hook modules started in the session
LATE = "frameworks.late"  # session.scratch key: hook modules whose framework came mid-session


class FrameworksPatcher:
    """Start the hooks of every framework imported so far; stop them at the cell's end."""

    def start(self, session: Session) -> None:
        first = STARTED not in session.scratch
        started: list[str] = session.scratch.setdefault(STARTED, [])
        late: set[str] = session.scratch.setdefault(LATE, set())
        modules = sys.modules
        for name, triggers in TRIGGERS.items():
            if not any(t in modules for t in triggers):
                if first:
                    late.add(name)
            else:
                hooks = importlib.import_module(f"{__name__}.{name}")
                session.guard(f"{name} training", hooks.start, session)
                if name not in started:
                    started.append(name)

    def stop(self, session: Session) -> None:
        """Let each started framework finish (save the models fitted in the cell)."""
        distributions: list[str] = []
        late = session.scratch.get(LATE, set())
        for name in reversed(session.scratch.get(STARTED, [])):
            hooks = importlib.import_module(f"{__name__}.{name}")
            session.guard(f"{name} training", hooks.stop, session)
            if name in late:  # imported after the run's environment snapshot was taken
                distributions += hooks.DISTRIBUTIONS
        if distributions:
            session.guard("the framework versions", note_versions, session, distributions)
