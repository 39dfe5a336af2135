"""What ``mlops.lineage(x)`` accepts as ``x``, and the node each reference names."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeAlias

from jupyter_mlops.errors import MlopsUsageError, NotFoundError
from jupyter_mlops.lineage.graph import Node
from jupyter_mlops.lineage.nodes import (
    data_node,
    dataset_node,
    model_node,
    pipeline_run_node,
    run_node,
)
from jupyter_mlops.store import Store
from jupyter_mlops.store.lineage import LineageReader, ModelVersionRow, reading

RefResolver: TypeAlias = Callable[[LineageReader, str], Node]


def as_ref(x: Any) -> str:
    """The reference naming ``x``: a string as given, or the reference of a run, a model
    version or a dataset version object.

    Raises:
        MlopsUsageError: ``x`` is blank or nothing lineage can trace.
    """
    if isinstance(x, str):
        if not x.strip():
            raise MlopsUsageError("Give what to trace: dataset:NAME@N, a run id or models:/NAME/N.")
        return x.strip()
    uri = getattr(x, "uri", None)
    if isinstance(uri, str) and uri.startswith("models:/"):
        return uri  # a ModelVersion
    run_id = getattr(x, "id", None)
    if isinstance(run_id, str) and hasattr(x, "experiment"):
        return f"run:{run_id}"  # a Run or RunRecord
    name, version = getattr(x, "name", None), getattr(x, "version", None)
    if isinstance(name, str) and isinstance(version, int):
        return f"dataset:{name}@{version}"  # a DatasetVersion
    raise MlopsUsageError(
        f"Cannot trace a {type(x).__name__}: give dataset:NAME@N, a run (or its id) "
        "or a model version (models:/NAME/N)."
    )


def _dataset_ref(reads: LineageReader, ref: str) -> Node:
    name, _, version = ref.removeprefix("dataset:").partition("@")
    if not name or (version and not version.isdigit()):
        raise MlopsUsageError(
            f"Invalid dataset reference {ref!r}: expected dataset:NAME@VERSION (or dataset:NAME)."
        )
    return dataset_node(reads.dataset_version(name, int(version) if version else None))


def _run_ref(reads: LineageReader, ref: str) -> Node:
    return run_node(reads, reads.resolve_run(ref.removeprefix("run:")))


def _digest_ref(reads: LineageReader, ref: str) -> Node:
    digest = ref.removeprefix("data:")
    row = reads.input_with_digest(digest)
    if row is None:
        raise NotFoundError(f"No run used data with digest {digest!r}.", digest=digest)
    return data_node(row.source, digest, row.kind)


def _pipeline_run_ref(reads: LineageReader, ref: str) -> Node:
    pipeline_run_id = ref.removeprefix("pipeline_run:")
    row = reads.pipeline_run(pipeline_run_id)
    if row is None:
        raise NotFoundError(f"No pipeline run {pipeline_run_id!r}.", ref=pipeline_run_id)
    return pipeline_run_node(row)


def _bare_ref(reads: LineageReader, ref: str) -> Node:
    """``NAME@N`` (how the data module prints a version) or else a run reference."""
    name, at, version = ref.partition("@")
    if at and version.isdigit() and reads.dataset_exists(name):
        return _dataset_ref(reads, f"dataset:{ref}")
    return _run_ref(reads, ref)


def _model_ref(store: Store, ref: str) -> Node:
    # The registry loads on the first model reference: `import jupyter_mlops` imports this
    # package (to bind mlops.lineage) and must stay as cheap as before.
    from jupyter_mlops.models import get, parse_model_uri

    if not ref.startswith("models:/"):
        parse_model_uri(ref)  # raises naming the accepted forms
    found = get(ref, store=store)
    return model_node(
        ModelVersionRow(
            id=found.id,
            name=found.name,
            version=found.version,
            class_name=found.class_name,
            digest=found.digest,
            run_id=found.run_id,
            stages=list(found.stages),
        )
    )


#: Reference prefixes and what each names; ``models:`` goes to the registry, and anything
#: else is ``NAME@N`` of a dataset or a run's id, short id or name.
REFS: Mapping[str, RefResolver] = MappingProxyType(
    {
        "dataset:": _dataset_ref,
        "run:": _run_ref,
        "data:": _digest_ref,
        "pipeline_run:": _pipeline_run_ref,
    }
)


def resolve(store: Store, ref: str) -> Node:
    """The node ``ref`` names.

    Raises:
        MlopsUsageError: a malformed reference. NotFoundError: nothing by that reference.
    """
    if ref.startswith("models:"):
        return _model_ref(store, ref)
    with reading(store) as reads:
        for prefix, resolver in REFS.items():
            if ref.startswith(prefix):
                return resolver(reads, ref)
        return _bare_ref(reads, ref)
