"""The model a server answers with, following the stage it serves.

A watcher thread asks the store which version holds the stage every ``poll`` seconds. When
it changes, the new version is loaded in that thread (its artifact checked against its
digest), asked for a smoke prediction on a row built from its signature, and swapped in with
one assignment: a request takes the model it will use when it is accepted, so requests in
flight finish on the old version. A version that fails to load leaves the old one serving;
the failure is kept (``problem``) for ``/v2/health/ready`` and ``/metadata``.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlops.errors import MlopsError
from jupyter_mlops.models import Predictor, load_predictor, parse_model_uri
from jupyter_mlops.serving.arrays import ArrayModel, array_model
from jupyter_mlops.serving.signature import example_row
from jupyter_mlops.store import Store
from jupyter_mlops.store.serving import stage_holder

log = logging.getLogger("jupyter_mlops.serving")

#: A version that failed to load is tried again after this many seconds.
RETRY_FAILED_S = 30.0


@dataclass(frozen=True)
class Served:
    """One loaded version: the predictor, and since when it answers."""

    predictor: Predictor
    since: float
    #: The model asked with arrays, for frames of the signature's columns (scikit-learn).
    array: ArrayModel | None = None

    @property
    def version(self) -> int:
        return self.predictor.version


def _same(fast: ArrayModel, row: pd.DataFrame, expected: Any) -> bool:
    """Whether the array form predicts what the model predicts on ``row``."""
    try:
        return bool(np.array_equal(np.asarray(fast.predict(row.to_numpy())), np.asarray(expected)))
    except Exception:  # noqa: BLE001 - any doubt: the model keeps its frames
        return False


class ModelHolder:
    """The loaded version of ``models:/NAME@STAGE`` (or a fixed version), swapped as it moves."""

    def __init__(self, store: Store, uri: str, *, trusted: bool = False, poll: float = 1.0) -> None:
        ref = parse_model_uri(uri)
        self.store = store
        self.uri = str(ref)
        self.name = ref.name
        self.stage = ref.stage
        self.trusted = trusted
        self.poll = poll
        #: Why the served version is not the stage's current one, or None.
        self.problem: str | None = None
        self.swaps = 0
        self._failed: dict[tuple[int, str], float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.current: Served = self._load(self.uri)

    def _load(self, uri: str) -> Served:
        predictor = load_predictor(uri, trusted=self.trusted, store=self.store)
        row = example_row(predictor.signature)
        fast = array_model(predictor.flavor, predictor.model, predictor.signature)
        if row is not None:
            try:
                expected = predictor.predict(row)
            except Exception as exc:
                raise MlopsError(
                    f"{predictor.uri} loaded but failed a smoke prediction on one row: {exc}"
                ) from exc
            fast = fast if fast is not None and _same(fast, row, expected) else None
        return Served(predictor, time.time(), fast)

    def start(self) -> None:
        """Follow the stage in a background thread (a fixed version needs none)."""
        if self.stage is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._watch, name="mlops-serve-watch", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop following the stage."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def check(self) -> None:
        """Look at the stage once and swap to its version if it moved (the watcher's step)."""
        if self.stage is None:
            return
        try:
            holder = stage_holder(self.store, self.name, self.stage)
        except MlopsError as exc:
            self.problem = f"cannot read the stage from the store: {exc}"
            return
        serving = self.current.predictor
        if holder is None:
            self.problem = (
                f"no version of {self.name!r} holds stage {self.stage!r} any more; "
                f"still serving version {serving.version}"
            )
            return
        if (holder.version, holder.digest) == (serving.version, serving.digest):
            self.problem = None
            return
        key = (holder.version, holder.digest)
        failed_at = self._failed.get(key)
        if failed_at is not None and time.monotonic() - failed_at < RETRY_FAILED_S:
            return
        try:
            loaded = self._load(f"models:/{self.name}/{holder.version}")
        except Exception as exc:  # noqa: BLE001 - any failure keeps the old version serving
            self._failed[key] = time.monotonic()
            self.problem = (
                f"version {holder.version} holds stage {self.stage!r} but failed to load "
                f"({exc}); still serving version {serving.version}"
            )
            log.error("mlops serve: %s", self.problem)
            return
        self.current = loaded  # one assignment: the swap is atomic for every request
        self.swaps += 1
        self.problem = None
        log.info("mlops serve: now serving %s", loaded.predictor.uri)

    def _watch(self) -> None:
        while not self._stop.wait(self.poll):
            try:
                self.check()
            except Exception as exc:  # the watcher must outlive any one bad look
                self.problem = f"following the stage failed: {exc}"
                log.exception("mlops serve: following the stage failed")

    def describe(self) -> dict[str, Any]:
        """What is served, for ``/metadata``."""
        p = self.current.predictor
        return {
            "name": p.name,
            "version": p.version,
            "uri": p.uri,
            "stage": self.stage,
            "flavor": p.flavor,
            "digest": p.digest,
            "signature": p.signature,
            "serving_since": self.current.since,
            "follows": self.uri,
            "problem": self.problem,
            "lineage": f"jupyter-mlops lineage {p.uri}",
        }
