"""PyTorch (and Lightning) modules as a safetensors state dict plus the module's class path.

Why not ``torch.export``: exporting needs an example input and fails on modules with
data-dependent control flow, while a state dict always saves and is what PyTorch users load
weights from. The file is one safetensors blob (tensors only: no code runs when it is read)
whose metadata names the module's class (``__main__.Net``, ``mypkg.models.Net``) and, for a
``LightningModule`` that called ``save_hyperparameters()``, its constructor arguments as JSON.

Loading imports that class (code already installed or defined in the process, never code from
the artifact), builds it with those arguments and loads the weights into it. A bare state dict
(``torch.save(model.state_dict())`` whose module was not found), or the weights of a module
whose constructor needs arguments that were not recorded (``nn.Linear(5, 1)``, a module
without ``save_hyperparameters()``), load as the state dict: a dict of tensors.
"""

from __future__ import annotations

import importlib
import json
import struct
import sys
from typing import Any

from jupyter_mlops.errors import MlopsError, MlopsUsageError
from jupyter_mlops.tracking.flavors._files import framework
from jupyter_mlops.tracking.flavors.base import Saved, class_name, instance_of

MEDIA_TYPE = "application/x-safetensors"


def is_state_dict(value: Any) -> bool:
    """Whether ``value`` is a non-empty mapping of names to tensors (never imports torch)."""
    torch = sys.modules.get("torch")
    return (
        torch is not None
        and isinstance(value, dict)
        and bool(value)
        and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in value.items())
    )


def _tensors(state: dict[str, Any]) -> dict[str, Any]:
    # safetensors refuses tensors sharing memory (tied weights) or not contiguous: copy each.
    return {k: v.detach().cpu().contiguous().clone() for k, v in state.items()}


def _init_args(module: Any) -> dict[str, Any] | None:
    hparams = getattr(module, "hparams", None)
    if hparams is None or not hasattr(hparams, "items"):
        return None
    try:
        return dict(json.loads(json.dumps(dict(hparams.items()))))
    except (TypeError, ValueError):
        return None


def metadata(data: bytes) -> dict[str, str]:
    """The ``__metadata__`` of a safetensors blob (read from its JSON header, nothing else)."""
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + size])
    found = header.get("__metadata__") or {}
    return {str(k): str(v) for k, v in found.items()}


class TorchFlavor:
    """``torch.nn.Module`` (LightningModule included) and bare state dicts."""

    name = "pytorch"

    def handles(self, model: Any) -> bool:
        return instance_of(model, "torch.nn.modules.module", "Module") or is_state_dict(model)

    def save(self, model: Any) -> Saved:
        st = framework("safetensors.torch", "PyTorch")
        meta: dict[str, str] = {}
        if is_state_dict(model):
            state, fmt = model, "safetensors"
        else:
            state, fmt = model.state_dict(), "safetensors:module"
            meta["class"] = class_name(model)
            init = _init_args(model)
            if init is not None:
                meta["init"] = json.dumps(init)
        data = st.save(_tensors(state), metadata=meta or None)
        return Saved(data, fmt, self.name, class_name(model), MEDIA_TYPE)

    def load(self, data: bytes, format: str, *, trusted: bool) -> Any:
        st = framework("safetensors.torch", "PyTorch")
        state = st.load(data)
        meta = metadata(data)
        path = meta.get("class")
        if not path:
            return state
        torch = framework("torch", "PyTorch")
        cls = _module_class(path, torch)
        try:
            module = cls(**json.loads(meta.get("init", "{}")))
        except TypeError:  # its constructor needs arguments the model did not record
            return state
        module.load_state_dict(state)
        module.eval()
        return module

    def predict(self, model: Any, frame: Any) -> Any:
        torch = framework("torch", "PyTorch")
        if not isinstance(model, torch.nn.Module):
            raise MlopsUsageError(
                "This model is a bare state dict: load it into its module to predict."
            )
        values = frame.to_numpy(dtype="float32") if hasattr(frame, "to_numpy") else frame
        model.eval()
        with torch.no_grad():
            # torch.tensor copies: a frame's array may be read-only.
            out = model(torch.tensor(values, dtype=torch.float32))
        return out.detach().cpu().numpy()


def _notebook_namespace() -> dict[str, Any]:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return dict(getattr(shell, "user_ns", None) or {})


def _module_class(path: str, torch: Any) -> Any:
    mod_name, _, name = path.rpartition(".")
    try:
        module = sys.modules.get(mod_name) or importlib.import_module(mod_name)
    except ImportError:
        module = None
    cls = getattr(module, name, None)
    if cls is None and mod_name == "__main__":
        cls = _notebook_namespace().get(name)  # a class defined in a notebook cell
    if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)):
        raise MlopsError(
            f"This model's weights belong to the module class {path}, which is not defined "
            "in this process: import or define that class, then load the model again."
        )
    return cls
