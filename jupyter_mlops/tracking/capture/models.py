"""Saving the models a tracked cell fitted: under a size limit, once per distinct model.

Before a model is serialized in its own format, its pickle stream is hashed and measured
(without holding it in memory). Then:

* a model larger than the setting ``max_model_size`` (bytes, default 100 MB) is *fingerprinted,
  not stored*: the run gets ``models/<name>.fingerprint.json`` (its class, digest and size, and
  why it was not stored), and the cell's receipt says ``1 model not stored (over
  max_model_size)``; ``mlops.log_model`` still stores any model you log yourself;
* a model identical to one already saved in the run (same digest: the same estimator fitted
  twice to the same data, a search's ``best_estimator_`` refitted by hand) is not saved again.

In a notebook the model is saved after the cell's output (what it prints, its value, the
run's receipt, which counts the model already) is shown, in the cell's thread
(:mod:`~jupyter_mlops.tracking.after_cell`): the first scikit-learn model of a kernel needs
skops, whose import takes seconds. Never in a background thread: that would import skops (and
through it every scikit-learn module) beside the user's own imports, and Python may then hand
one thread a partially initialized module (an ImportError in the user's cell). The model
saved is the object as the cell left it (nothing of the user's runs in between).
"""

from __future__ import annotations

import hashlib
import json
import pickle
import warnings
from typing import TYPE_CHECKING, Any

from jupyter_mlops.tracking import after_cell
from jupyter_mlops.tracking.flavors import class_name

if TYPE_CHECKING:
    from jupyter_mlops.tracking.capture.session import Session
    from jupyter_mlops.tracking.run import Run

MAX_MODEL_SIZE = 100_000_000


class _Digest:
    """A write-only file that hashes and counts what is written to it."""

    def __init__(self) -> None:
        self.hash = hashlib.blake2b(digest_size=32)
        self.size = 0

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        self.size += len(data)
        return len(data)


def fingerprint_model(model: Any) -> tuple[str, int]:
    """The digest and size of ``model``'s pickle stream (nothing kept in memory)."""
    sink = _Digest()
    pickle.Pickler(sink, protocol=pickle.HIGHEST_PROTOCOL).dump(model)
    return sink.hash.hexdigest(), sink.size


def save_model(session: Session, model: Any, name: str, signature: Any) -> None:
    """Save ``model`` as the run's model ``name``, unless too large or already saved."""
    limit = session.setting("max_model_size", MAX_MODEL_SIZE)
    try:
        digest, size = fingerprint_model(model)
    except Exception:  # noqa: BLE001 - unpicklable: let the flavor decide how to save it
        digest, size = None, None
    seen: set[str] = session.state.saved_models
    if digest is not None and digest in seen:
        return
    run = session.run
    if size is not None and limit and size > limit:
        note = {
            "name": name,
            "class_name": class_name(model),
            "digest": f"blake2b:{digest}",
            "size": size,
            "stored": False,
            "why": f"larger than max_model_size ({limit} bytes)",
        }
        run.log_artifact(
            json.dumps(note, indent=2).encode(),
            f"models/{name}.fingerprint.json",
            media_type="application/json",
        )
        run.captured.artifacts -= 1  # counted as a model not stored, not as an artifact
        run.captured.unstored_models.append(name)
    else:
        save_after_output(session, run, model, name, signature)
    if digest is not None:
        seen.add(digest)


def save_after_output(session: Session, run: Run, model: Any, name: str, signature: Any) -> None:
    """Save ``model`` as ``run``'s model ``name`` once the cell's output is shown (at once
    outside a notebook cell); a failure is one warning."""

    def job() -> None:
        session.guard(f"the model {name}", _save, run, model, name, signature)

    if after_cell.put_off(run, job):
        if name not in run.captured.models:  # the receipt, shown before the save, counts it
            run.captured.models.append(name)
    else:
        job()


def _save(run: Run, model: Any, name: str, signature: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # serializer warnings are not the notebook's business
        run.log_model(model, name, signature=signature)
