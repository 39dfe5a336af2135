"""Tables of datasets and of one dataset's versions."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import and_, func, select

from jupyter_mlops.data import records
from jupyter_mlops.data.names import check_name
from jupyter_mlops.errors import NotFoundError
from jupyter_mlops.store import Store
from jupyter_mlops.store.order import code_point

DATASET_COLUMNS = [
    "name",
    "latest",
    "versions",
    "format",
    "size",
    "rows",
    "digest",
    "created_at",
    "description",
]
VERSION_COLUMNS = [
    "ref",
    "version",
    "format",
    "size",
    "rows",
    "digest",
    "created_at",
    "created_by",
    "run_id",
    "description",
    "tags",
]


def _times(frame: pd.DataFrame) -> pd.DataFrame:
    frame["created_at"] = pd.to_datetime(frame["created_at"], unit="s", utc=True)
    return frame


def datasets_frame(store: Store) -> pd.DataFrame:
    """One row per dataset, describing its latest version."""
    ds, dv = records.ds, records.dv
    latest = (
        select(
            dv.c.dataset_id,
            func.max(dv.c.version).label("latest"),
            func.count().label("versions"),
        )
        .group_by(dv.c.dataset_id)
        .subquery()
    )
    stmt = (
        select(
            ds.c.name,
            latest.c.latest,
            latest.c.versions,
            dv.c.format,
            dv.c.size,
            dv.c.row_count.label("rows"),
            dv.c.digest,
            dv.c.created_at,
            ds.c.description,
        )
        .join(latest, latest.c.dataset_id == ds.c.id)
        .join(dv, and_(dv.c.dataset_id == ds.c.id, dv.c.version == latest.c.latest))
        .order_by(code_point(ds.c.name))
    )
    with store.read() as conn:
        rows = [dict(r) for r in conn.execute(stmt).mappings()]
    frame = pd.DataFrame(rows, columns=DATASET_COLUMNS)
    frame["rows"] = frame["rows"].astype("Int64")
    return _times(frame)


def versions_frame(store: Store, name: str) -> pd.DataFrame:
    """One row per version of dataset ``name``, oldest first."""
    versions = records.all_versions(store, check_name(name))
    if not versions:
        raise NotFoundError(f"No dataset {name!r} — `mlops.data.list()` shows the datasets.")
    rows = [
        {
            "ref": v.ref,
            "version": v.version,
            "format": v.format,
            "size": v.size,
            "rows": v.row_count,
            "digest": v.digest,
            "created_at": v.created_at,
            "created_by": v.created_by,
            "run_id": v.run_id,
            "description": v.description,
            "tags": ", ".join(f"{k}={val}" for k, val in sorted(v.tags.items())),
        }
        for v in versions
    ]
    frame = pd.DataFrame(rows, columns=VERSION_COLUMNS)
    frame["rows"] = frame["rows"].astype("Int64")
    return _times(frame)
