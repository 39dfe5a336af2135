"""Plain PyTorch: the optimizer's hyperparameters and ``torch.save`` of a model's weights.

* **params** — on each optimizer's first ``step()`` in the cell: its class as ``optimizer``,
  the first parameter group's hyperparameters as ``optimizer.<name>`` (``lr``, ``momentum``,
  ``weight_decay``, ``betas``…) and the number of parameters it trains as
  ``trainable_params``. A second optimizer logs as ``optimizer_2…``.
* **model** — ``torch.save(model.state_dict(), "net.pt")`` (or ``torch.save(model, …)``) in the
  cell saves the weights as the model ``models/<file stem>.safetensors`` (``net``): safetensors
  plus the module's class path, found by matching the saved tensors to a module of the
  notebook. The file the user asked for is written as usual.

Steps and losses are the user's own loop: log them with ``mlops.log_metric``.
"""

from __future__ import annotations

import os
import sys
import weakref
from typing import TYPE_CHECKING, Any

from jupyter_mlops.tracking.capture import patching
from jupyter_mlops.tracking.capture.frameworks import _common as c
from jupyter_mlops.tracking.flavors.torch import is_state_dict

if TYPE_CHECKING:
    from jupyter_mlops.tracking.capture.session import Session

DISTRIBUTIONS = ("torch",)
HOOK = "torch.step_hook"  # session.scratch key: the handle of the optimizer pre-step hook
SEEN = "torch.optimizers"  # session.scratch key: optimizers already recorded in the cell


def start(session: Session) -> None:
    torch = sys.modules["torch"]
    c.patch_function(session, torch, "save", SAVE)
    optim = sys.modules.get("torch.optim.optimizer")
    if optim is not None and HOOK not in session.scratch:
        session.scratch[SEEN] = weakref.WeakSet()
        session.scratch[HOOK] = optim.register_optimizer_step_pre_hook(_on_step)


def stop(session: Session) -> None:
    handle = session.scratch.pop(HOOK, None)
    if handle is not None:
        handle.remove()
    c.save_pending(session)


def optimizer_params(optimizer: Any) -> dict[str, Any]:
    """An optimizer's class, first group's hyperparameters and trained parameter count."""
    groups = optimizer.param_groups
    params: dict[str, Any] = {"optimizer": type(optimizer).__name__}
    for key, value in (groups[0] if groups else {}).items():
        if key != "params" and not callable(value):
            params[f"optimizer.{key}"] = value
    params["trainable_params"] = sum(
        int(p.numel()) for g in groups for p in g["params"] if p.requires_grad
    )
    return params


def _on_step(optimizer: Any, args: Any, kwargs: Any) -> None:
    session = patching.active()
    if session is None or session.depth or session.thread != c._get_ident():
        return
    seen = session.scratch.get(SEEN)
    if seen is None or optimizer in seen:
        return
    seen.add(optimizer)
    n = len(seen)
    prefix = "" if n == 1 else f"optimizer_{n}."
    session.guard("the optimizer", c.log_params, session, optimizer_params(optimizer), prefix)


def _module_of(session: Session, state: dict[str, Any]) -> Any:
    """The notebook's module whose weights ``state`` holds (same tensors), if any."""
    torch = sys.modules["torch"]
    first = next(iter(state.values()))
    for value in (session.user_ns or {}).values():
        if isinstance(value, torch.nn.Module):
            own = value.state_dict()
            if own.keys() == state.keys() and own[next(iter(own))].data_ptr() == first.data_ptr():
                return value
    return None


def _after_save(
    session: Session,
    owner: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    result: Any,
    state: Any,
) -> None:
    obj = args[0] if args else kwargs.get("obj")
    target = args[1] if len(args) > 1 else kwargs.get("f")
    torch = sys.modules["torch"]
    if isinstance(obj, dict) and is_state_dict(obj):
        model = _module_of(session, obj) or obj
    elif isinstance(obj, torch.nn.Module):
        model = obj
    else:
        return
    name = "model"
    if isinstance(target, str | os.PathLike):
        name = os.path.splitext(os.path.basename(os.fspath(target)))[0] or name
    c.save_later(session, name, model)


SAVE = c.Capture("torch", _after_save)
