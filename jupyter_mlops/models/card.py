"""The model card: a snapshot, taken at registration, of everything that made a model version.

Stored as JSON text in ``model_versions.card``::

    {"schema": 1, "name", "version", "registered_by", "registered_at",
     "model":    {"name", "flavor", "format", "class_name", "digest", "size", "signature"},
     "run":      {"id", "name", "experiment", "status", "user", "host", "start_time", "end_time"},
     "params":   {key: text}, "metrics": {key: float or null (NaN)},
     "datasets": [{"ref": "dataset:NAME@N", "dataset", "version", "digest", "role",
                   "direction", "rows"}],            # from run_dataset_links
     "inputs":   [{"role", "kind", "source", "digest", "size"}],   # run_inputs fingerprints
     "code":     {"notebook", "notebook_digest", "git_commit", "git_branch", "git_dirty"},
     "environment": {"python", "platform", "packages"}}
"""

from __future__ import annotations

import math
import time
from typing import Any

from jupyter_mlops.store.models import dataset_links
from jupyter_mlops.store.records import ModelRecord, RunRecord

CARD_SCHEMA = 1


# Re-exported: the run detail panel lists a run's dataset links the way a card does.
__all__ = ["CARD_SCHEMA", "build_card", "dataset_links"]


def build_card(
    run: RunRecord,
    logged: ModelRecord,
    *,
    datasets: list[dict[str, Any]],
    name: str,
    version: int,
    user: str,
) -> dict[str, Any]:
    """Snapshot the run, its data (``datasets``: its dataset links) and code for a version."""
    env = run.environment or {}
    return {
        "schema": CARD_SCHEMA,
        "name": name,
        "version": version,
        "registered_by": user,
        "registered_at": time.time(),
        "model": {
            "name": logged.name,
            "flavor": logged.flavor,
            "format": logged.format,
            "class_name": logged.class_name,
            "digest": logged.digest,
            "size": logged.size,
            "signature": logged.signature,
        },
        "run": {
            "id": run.id,
            "name": run.name,
            "experiment": run.experiment,
            "status": run.status,
            "user": run.user,
            "host": run.host,
            "start_time": run.start_time,
            "end_time": run.end_time,
        },
        "params": dict(sorted(run.params.items())),
        "metrics": {
            k: (None if math.isnan(v) or math.isinf(v) else v)
            for k, v in sorted(run.metrics.items())
        },
        "datasets": datasets,
        "inputs": [
            {
                "role": i.role,
                "kind": i.kind,
                "source": i.source,
                "digest": i.digest,
                "size": i.size,
            }
            for i in run.inputs
        ],
        "code": {
            "notebook": run.notebook_path,
            "notebook_digest": run.notebook_digest,
            "git_commit": run.git_commit,
            "git_branch": run.git_branch,
            "git_dirty": run.git_dirty,
        },
        "environment": {
            "python": env.get("python"),
            "platform": env.get("platform"),
            "packages": env.get("packages") or {},
        },
    }
