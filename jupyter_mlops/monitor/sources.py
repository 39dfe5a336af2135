"""Data named by text in ``drift(reference=..., current=...)``.

* ``current="serving:NAME@STAGE"``: the traffic a model server logged (its inputs), within
  ``window`` of now (``"24h"``).
* ``reference="training"`` (with a ``serving:`` current): the dataset version the model now
  holding that stage was trained on, found through its model card's lineage, limited to the
  model's input columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.store import Store, current_store

if TYPE_CHECKING:
    import pandas as pd

    from jupyter_mlops.monitor.profile import ReferenceProfile

TRAINING = "training"
PREFIX = "serving:"


def current_frame(current: str, window: str | float | None, store: Store | None) -> pd.DataFrame:
    """The logged inputs of ``serving:NAME@STAGE`` in ``window``.

    Raises:
        MlopsUsageError: text that is not a ``serving:`` source, or nothing logged.
    """
    # start-up: the serving package loads pandas and pyarrow.
    from jupyter_mlops.serving.traffic import logged_traffic

    if not current.startswith(PREFIX):
        raise MlopsUsageError(
            f"current={current!r}: give a DataFrame or 'serving:NAME@STAGE' (logged traffic)."
        )
    return logged_traffic(store or current_store(), current, window=window, inputs_only=True)


def training_frame(current: str, store: Store | None) -> pd.DataFrame:
    """The training data of the model that serves ``current`` (``serving:NAME@STAGE``).

    Raises:
        MlopsUsageError: no ``serving:`` source to find the model by, or a model whose
            card names no input dataset.
    """
    # start-up: the registry, datasets and serving load only for reference="training".
    from jupyter_mlops import data, models
    from jupyter_mlops.serving.traffic import parse_source

    if not current.startswith(PREFIX):
        raise MlopsUsageError(
            "reference='training' needs current='serving:NAME@STAGE' to find the model by."
        )
    name, stage = parse_source(current)
    uri = f"models:/{name}@{stage}" if stage else f"models:/{name}"
    version = models.get(uri, store=store)
    inputs = [d for d in version.card.get("datasets") or [] if d.get("direction") == "input"]
    inputs.sort(key=lambda d: d.get("role") not in ("train", "training"))
    if not inputs:
        raise MlopsUsageError(
            f"{version.uri} names no dataset it was trained on (its run logged no dataset "
            "input); pass the reference DataFrame or profile instead."
        )
    first = inputs[0]
    frame = data.get(f"{first['dataset']}@{first['version']}", store=store).to_pandas()
    return _model_columns(frame, version.signature)


def _model_columns(frame: pd.DataFrame, signature: dict[str, Any] | None) -> pd.DataFrame:
    # The training data holds the label too; the served traffic holds only the inputs.
    if signature and signature.get("type") == "dataframe":
        names = [c["name"] for c in signature.get("columns") or [] if c["name"] in frame.columns]
        if names:
            return frame[names]
    return frame


def resolve(
    reference: pd.DataFrame | ReferenceProfile | str,
    current: pd.DataFrame | str,
    window: str | float | None,
    store: Store | None,
) -> tuple[pd.DataFrame | ReferenceProfile, pd.DataFrame]:
    """``reference`` and ``current`` with text sources read into DataFrames."""
    if isinstance(reference, str):
        if reference != TRAINING:
            raise MlopsUsageError(
                f"reference={reference!r}: give a DataFrame, a profile or 'training'."
            )
        if not isinstance(current, str):
            raise MlopsUsageError(
                "reference='training' needs current='serving:NAME@STAGE' to find the model by."
            )
        reference = training_frame(current, store)
    if isinstance(current, str):
        current = current_frame(current, window, store)
    elif window is not None:
        raise MlopsUsageError("window applies to current='serving:NAME@STAGE' only.")
    return reference, current


def log_labels(
    source: str, labels: Mapping[str, Any] | pd.DataFrame, *, store: Store | None = None
) -> int:
    """Record outcomes of served requests, which arrive later, by request id.

    ``mlops.monitor.log_labels("serving:churn@production", {request_id: churned})``; the
    request id is the ``X-Request-Id`` (or V2 ``id``) of each answer. For requests of
    several rows pass a DataFrame with ``request_id``, ``row`` and ``label``.

    Returns:
        The number of labels recorded.
    """
    # start-up: the serving package loads pandas and pyarrow.
    from jupyter_mlops.serving.traffic import log_labels as record

    return record(store or current_store(), source, labels)


def labelled(
    source: str,
    *,
    window: str | float | None = None,
    target: str = "label",
    store: Store | None = None,
) -> pd.DataFrame:
    """The logged traffic of ``source`` joined with its labels (column ``target``).

    ``mlops.monitor.performance("models:/churn@production", mlops.monitor.labelled(
    "serving:churn@production", window="7d"), target="label")`` checks the model's quality on
    what it served.
    """
    # start-up: the serving package loads pandas and pyarrow.
    from jupyter_mlops.serving.traffic import labelled_traffic

    return labelled_traffic(store or current_store(), source, window=window, target=target)
