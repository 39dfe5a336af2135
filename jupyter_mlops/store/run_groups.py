"""Runs as the runs table groups them: child counts under a parent, runs per experiment, and
tags set on many runs at once."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, func, select

from jupyter_mlops.store import tables as t
from jupyter_mlops.store.core import Store
from jupyter_mlops.store.runs import resolve_run_id

# SQLite binds at most 999 values in one statement on old builds: count in chunks below that.
_CHUNK = 500


def _seen(lifecycle: str) -> list[ColumnElement[bool]]:
    """Which runs a search with ``lifecycle`` sees (as :func:`run_conditions` decides)."""
    deleted = t.runs.c.deleted_at
    if lifecycle == "active":
        # Not "IS NULL": the database would then walk the deleted_at index (which almost
        # every run matches) instead of the parent index.
        return [func.coalesce(deleted, -1.0) == -1.0]
    return [deleted.is_not(None)] if lifecycle == "deleted" else []


def child_counts(
    store: Store, run_ids: Sequence[str], *, lifecycle: str = "active"
) -> dict[str, int]:
    """How many child runs (pipeline steps, search candidates) each of ``run_ids`` has
    among the runs ``lifecycle`` sees; runs without children are left out."""
    counts: dict[str, int] = {}
    if not run_ids:
        return counts
    parent = t.runs.c.parent_id
    with store.read() as conn:
        for start in range(0, len(run_ids), _CHUNK):
            chunk = list(run_ids[start : start + _CHUNK])
            stmt = (
                select(parent, func.count())
                .where(parent.in_(chunk), *_seen(lifecycle))
                .group_by(parent)
            )
            counts.update({str(p): int(n) for p, n in conn.execute(stmt)})
    return counts


def experiment_run_counts(store: Store) -> dict[str, int]:
    """Every experiment's name with how many runs (not deleted) it has, in code-point order."""
    joined = and_(t.runs.c.experiment_id == t.experiments.c.id, *_seen("active"))
    stmt = (
        select(t.experiments.c.name, func.count(t.runs.c.id))
        .select_from(t.experiments.outerjoin(t.runs, joined))
        .group_by(t.experiments.c.name)
    )
    with store.read() as conn:
        found = {str(name): int(n) for name, n in conn.execute(stmt)}
    return dict(sorted(found.items()))


def set_tags_of_runs(store: Store, refs: Sequence[str], tags: dict[str, str]) -> list[str]:
    """Set ``tags`` on every run ``refs`` name (ids, short ids or names) in one transaction:
    all of them or, when one names no run, none. Returns the runs' full ids.

    Raises:
        NotFoundError: a ref names no run (nothing is written).
    """
    with store.write() as conn:
        run_ids = list(dict.fromkeys(resolve_run_id(conn, ref) for ref in refs))
        rows = [{"run_id": r, "key": k, "value": v} for r in run_ids for k, v in tags.items()]
        store.insert_or_update(conn, t.tags, rows, ["run_id", "key"], ["value"])
    return run_ids
