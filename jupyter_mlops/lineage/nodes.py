"""The nodes of a lineage graph, made from what the store read."""

from __future__ import annotations

import datetime as dt

from jupyter_mlops.lineage.graph import Node
from jupyter_mlops.store.lineage import (
    DatasetVersionRow,
    LineageReader,
    ModelVersionRow,
    PipelineRunRow,
    PromotionRow,
)


def run_node(reads: LineageReader, run_id: str) -> Node:
    """Run ``run_id`` (a run deleted since is still a node, labelled so)."""
    row = reads.run(run_id)
    if row is None:
        label = f"run {run_id[:8]} (deleted)"
        return Node(f"run:{run_id}", "run", label, {"id": run_id, "deleted": True})
    return Node(
        f"run:{row.id}",
        "run",
        f"run {row.name} ({row.id[:8]}) [{row.status}]",
        {
            "id": row.id,
            "name": row.name,
            "status": row.status,
            "experiment": row.experiment,
            "start_time": row.start_time,
        },
    )


def dataset_node(row: DatasetVersionRow) -> Node:
    """A dataset version."""
    return Node(
        f"dataset:{row.name}@{row.version}",
        "dataset_version",
        f"dataset:{row.name}@{row.version} ({row.digest[:12]})",
        {
            "id": row.id,
            "name": row.name,
            "version": row.version,
            "digest": row.digest,
            "rows": row.row_count,
            "source_path": row.source_path,
            "run_id": row.run_id,
        },
    )


def model_node(row: ModelVersionRow) -> Node:
    """A model version, labelled with its class and the stages it holds."""
    held = f" [{', '.join(row.stages)}]" if row.stages else ""
    return Node(
        f"models:/{row.name}/{row.version}",
        "model_version",
        f"models:/{row.name}/{row.version} {row.class_name.rsplit('.', 1)[-1]}{held}",
        {
            "id": row.id,
            "name": row.name,
            "version": row.version,
            "class_name": row.class_name,
            "digest": row.digest,
            "run_id": row.run_id,
            "stages": list(row.stages),
        },
    )


def data_node(source: str, digest: str, kind: str) -> Node:
    """A file or frame a run used that is not a registered dataset version."""
    return Node(
        f"data:{digest}",
        "data",
        f"{kind} {source} ({digest[:12]})",
        {"digest": digest, "source": source, "kind": kind},
    )


def promotion_node(model: str, row: PromotionRow, *, current: bool) -> Node:
    """A promotion of model ``model`` (``current``: its version still holds that stage)."""
    src = f"v{row.from_version}" if row.from_version is not None else "none"
    when = dt.datetime.fromtimestamp(row.created_at).strftime("%Y-%m-%d %H:%M")
    return Node(
        f"promotion:{row.id}",
        "promotion",
        f"{row.stage}: {src} -> v{row.to_version} by {row.user_name or '?'} {when}"
        + (" (current)" if current else ""),
        {
            "id": row.id,
            "model": model,
            "stage": row.stage,
            "from_version": row.from_version,
            "to_version": row.to_version,
            "user": row.user_name,
            "created_at": row.created_at,
            "reason": row.reason,
            "current": current,
        },
    )


def pipeline_run_node(row: PipelineRunRow) -> Node:
    """A pipeline run."""
    when = dt.datetime.fromtimestamp(row.started, dt.UTC).strftime("%Y-%m-%d %H:%M")
    return Node(
        f"pipeline_run:{row.id}",
        "pipeline_run",
        f"pipeline {row.name} {row.status} {when}",
        {
            "id": row.id,
            "name": row.name,
            "status": row.status,
            "env": row.env,
            "trigger": row.trigger,
            "started": row.started,
        },
    )
