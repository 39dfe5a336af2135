"""PyTorch Lightning: ``Trainer.fit``, ``Trainer.validate`` and ``Trainer.test``.

A logger is attached to the trainer for the call (after the user's loggers, so checkpoints
and ``trainer.log_dir`` stay where they were) and detached when the call returns or raises.

* **params** — the module's ``hparams`` (``save_hyperparameters()``), the trainer's
  ``max_epochs``, and the optimizer's class and hyperparameters (``optimizer.lr``…).
* **metrics** — every value the module logs with ``self.log`` (``train_loss``,
  ``val_loss``…), at Lightning's global step.
* **checkpoints and early stopping** — the checkpoint callback's ``best_model_score`` as
  ``best_score`` (its ``monitor`` as the param ``checkpoint.monitor``); an ``EarlyStopping``
  callback's ``stopped_epoch``.
* **model** — after ``fit``, ``models/<label>.safetensors``: the state dict in safetensors
  plus the module's class path and ``hparams`` (see :mod:`jupyter_mlops.tracking.flavors.torch`).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from jupyter_mlops.tracking.capture.frameworks import _common as c
from jupyter_mlops.tracking.capture.frameworks.torch import optimizer_params

if TYPE_CHECKING:
    from jupyter_mlops.tracking.capture.session import Session

DISTRIBUTIONS = ("lightning", "pytorch-lightning")
PACKAGES = ("lightning.pytorch", "pytorch_lightning")
_logger_classes: dict[int, type] = {}


def start(session: Session) -> None:
    for package in PACKAGES:
        module = sys.modules.get(package)
        if module is not None:
            trainer = module.Trainer
            c.patch_methods(session, [trainer], ("fit",), _captures(package)[0])
            c.patch_methods(session, [trainer], ("validate", "test"), _captures(package)[1])


def stop(session: Session) -> None:
    c.save_pending(session)


def _logger_class(base: type) -> type:
    cls = _logger_classes.get(id(base))
    if cls is None:

        class RunLogger(base):  # type: ignore[misc]
            """Write what Lightning logs into the run of the session that attached it."""

            def __init__(self, session: Session, prefix: str) -> None:
                super().__init__()
                self.mlops_session = session
                self.mlops_prefix = prefix

            @property
            def name(self) -> str:
                return "mlops"

            @property
            def version(self) -> str:
                return self.mlops_session.run.short_id

            def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
                found = vars(params) if hasattr(params, "__dict__") else dict(params or {})
                session = self.mlops_session
                session.guard("Lightning hparams", c.log_params, session, found, self.mlops_prefix)

            def log_metrics(self, metrics: dict[str, Any], step: int | None = None) -> None:
                session, prefix = self.mlops_session, self.mlops_prefix
                for key, value in metrics.items():
                    if key != "epoch":
                        number = value.item() if hasattr(value, "item") else value
                        session.guard(
                            "a Lightning metric", c.log_metric, session, prefix + key, number, step
                        )

        cls = _logger_classes[id(base)] = RunLogger
    return cls


def _before(
    session: Session, trainer: Any, args: tuple[Any, ...], kwargs: dict[str, Any], package: str
) -> tuple[Any, Any, Any]:
    model = args[0] if args else kwargs.get("model")
    _, prefix = c.prefix_of(session, model) if model is not None else ("", "")
    logger = _logger_class(sys.modules[f"{package}.loggers"].Logger)(session, prefix)
    before = list(trainer.loggers)
    if not before:  # ours alone would move the checkpoints under mlops/<run>/: keep them put
        for callback in trainer.checkpoint_callbacks:
            if callback.dirpath is None:
                callback.dirpath = os.path.join(trainer.default_root_dir, "checkpoints")
    trainer.loggers = [*before, logger]
    return args, kwargs, before


def _detach(session: Session, trainer: Any, before: Any) -> None:
    trainer.loggers = before


def _after_fit(
    session: Session,
    trainer: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    result: Any,
    before: Any,
) -> None:
    _detach(session, trainer, before)
    model = args[0] if args else kwargs.get("model")
    label, prefix = c.prefix_of(session, model)
    params: dict[str, Any] = {"max_epochs": trainer.max_epochs}
    if trainer.optimizers:
        params.update(optimizer_params(trainer.optimizers[0]))
    checkpoint = trainer.checkpoint_callback
    score = getattr(checkpoint, "best_model_score", None)
    if score is not None:
        params["checkpoint.monitor"] = checkpoint.monitor
        c.log_metric(session, f"{prefix}best_score", score.item())
    stopping = trainer.early_stopping_callback
    if stopping is not None and stopping.stopped_epoch:
        c.log_metric(session, f"{prefix}stopped_epoch", stopping.stopped_epoch)
    c.log_params(session, params, prefix)
    c.save_later(session, label, model)


def _after_eval(
    session: Session,
    trainer: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    result: Any,
    before: Any,
) -> None:
    _detach(session, trainer, before)


def _captures(package: str) -> tuple[c.Capture, c.Capture]:
    found = _by_package.get(package)
    if found is None:

        def before(
            session: Session, trainer: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
        ) -> tuple[Any, Any, Any]:
            return _before(session, trainer, args, kwargs, package)

        found = _by_package[package] = (
            c.Capture(package, _after_fit, before, _detach),
            c.Capture(package, _after_eval, before, _detach),
        )
    return found


_by_package: dict[str, tuple[c.Capture, c.Capture]] = {}
