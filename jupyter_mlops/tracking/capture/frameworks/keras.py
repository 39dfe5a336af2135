"""Keras 3: ``model.fit`` on any backend (the tests run the torch backend).

A callback is added to the call (the user's callbacks are left as they are) and removed when
``fit`` returns or raises.

* **params** — ``epochs``, ``batch_size`` and ``validation_split`` as given to ``fit``, the
  optimizer's class as ``optimizer`` and its config (``learning_rate``…) as ``optimizer.<key>``,
  the model's parameter count as ``trainable_params``.
* **metrics** — every value of the epoch's ``logs`` (``loss``, ``accuracy``, ``val_loss``…)
  with the epoch as the step.
* **early stopping** — an ``EarlyStopping`` callback's best value as ``best_score``,
  its best epoch as ``best_epoch``, and ``stopped_epoch`` when it stopped the fit.
* **model** — ``models/<label>.keras`` (Keras' own format, loaded in safe mode), with the
  signature of ``x``.
* **data** — fingerprints of ``x``/``y`` (``training``) and ``validation_data``
  (``evaluation``).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from jupyter_mlops.tracking.capture.frameworks import _common as c
from jupyter_mlops.tracking.flavors import infer_signature

if TYPE_CHECKING:
    from jupyter_mlops.tracking.capture.session import Session

DISTRIBUTIONS = ("keras",)
FIT_ARGS = ("epochs", "batch_size", "validation_split")
_callback_classes: dict[int, type] = {}


def start(session: Session) -> None:
    module = sys.modules.get("keras.src.models.model")
    if module is None:
        return
    owners = [cls for cls in module.Model.__mro__ if "fit" in cls.__dict__]
    c.patch_methods(session, owners[:1], ("fit",), FIT)


def stop(session: Session) -> None:
    c.save_pending(session)


def _callback_class(base: type) -> type:
    cls = _callback_classes.get(id(base))
    if cls is None:

        class EpochRecorder(base):  # type: ignore[misc]
            """Record each epoch's logs into the run of the session that added it."""

            def __init__(self, session: Session, prefix: str) -> None:
                super().__init__()
                self.mlops_session = session
                self.mlops_prefix = prefix

            def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
                session, prefix = self.mlops_session, self.mlops_prefix
                for key, value in (logs or {}).items():
                    session.guard(
                        "a Keras metric", c.log_metric, session, prefix + key, value, epoch
                    )

        cls = _callback_classes[id(base)] = EpochRecorder
    return cls


def _before_fit(
    session: Session, model: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, Any, Any]:
    _, prefix = c.prefix_of(session, model)
    base = sys.modules["keras.src.callbacks.callback"].Callback
    recorder = _callback_class(base)(session, prefix)
    kwargs["callbacks"] = [*(kwargs.get("callbacks") or ()), recorder]
    return args, kwargs, None


def _after_fit(
    session: Session,
    model: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    history: Any,
    state: Any,
) -> None:
    label, prefix = c.prefix_of(session, model)
    params: dict[str, Any] = {k: kwargs[k] for k in FIT_ARGS if k in kwargs}
    params["trainable_params"] = sum(int(w.numpy().size) for w in model.trainable_weights)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        params["optimizer"] = type(optimizer).__name__
        config = optimizer.get_config()
        params.update({f"optimizer.{k}": v for k, v in config.items() if k != "name"})
    c.log_params(session, params, prefix)
    for callback in kwargs.get("callbacks") or ():
        if type(callback).__name__ == "EarlyStopping":
            c.log_metric(session, f"{prefix}best_score", callback.best)
            best_epoch = getattr(callback, "best_epoch", None)
            if best_epoch is not None:
                c.log_metric(session, f"{prefix}best_epoch", best_epoch)
            if callback.stopped_epoch:
                c.log_metric(session, f"{prefix}stopped_epoch", callback.stopped_epoch)
    x = args[0] if args else kwargs.get("x")
    y = args[1] if len(args) > 1 else kwargs.get("y")
    c.save_later(session, label, model, infer_signature(c.frame_or_array(x)))
    session.log_data("training", c.frame_or_array(x), "x")
    session.log_data("training", c.frame_or_array(y), "y")
    validation = kwargs.get("validation_data")
    if isinstance(validation, tuple) and len(validation) >= 2:
        session.log_data("evaluation", c.frame_or_array(validation[0]), "x_val")
        session.log_data("evaluation", c.frame_or_array(validation[1]), "y_val")


FIT = c.Capture("keras", _after_fit, _before_fit)
