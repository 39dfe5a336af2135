"""Soft delete: a deleted run keeps every record and leaves searches until it is restored,
or until ``gc`` purges it once it has been deleted longer than the retention period."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select, update

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.store import tables as t
from jupyter_mlops.store.core import Store
from jupyter_mlops.store.runs import resolve_run_id

#: Which runs a search sees: not deleted (the default), deleted only, or both.
LIFECYCLES = ("active", "deleted", "all")


def _resolve_all(store: Store, refs: Sequence[str]) -> list[str]:
    if not refs:
        raise MlopsUsageError("Give at least one run id, short id or name.")
    with store.read() as conn:
        # Every ref resolves before anything changes: one unknown run changes nothing.
        ids = [resolve_run_id(conn, ref) for ref in refs]
    return list(dict.fromkeys(ids))


def set_deleted(
    store: Store, refs: Sequence[str], *, at: float | None
) -> tuple[list[str], list[str]]:
    """Mark runs deleted at ``at`` (or restore them with None): (changed ids, already so)."""
    ids = _resolve_all(store, refs)
    with store.write() as conn:
        deleted = t.runs.c.deleted_at
        wanted = deleted.is_not(None) if at is None else deleted.is_(None)
        changing = {
            str(row[0])
            for row in conn.execute(select(t.runs.c.id).where(t.runs.c.id.in_(ids), wanted))
        }
        if changing:
            conn.execute(update(t.runs).where(t.runs.c.id.in_(changing)).values(deleted_at=at))
    changed = [i for i in ids if i in changing]
    return changed, [i for i in ids if i not in changing]


#: Columns that name a run without a foreign key (history outlives the run it names).
_RUN_REFERENCES = (
    (t.pipeline_runs, "run_id"),
    (t.pipeline_runs, "trigger_run_id"),
    (t.step_runs, "run_id"),
    (t.schedule_runs, "run_id"),
    (t.dataset_versions, "run_id"),
    (t.reproductions, "reproduction_run_id"),
)


def purge_deleted(store: Store, *, before: float, apply: bool) -> tuple[list[str], list[str]]:
    """Runs deleted before ``before``: (purged or purgeable ids, kept because a model uses them).

    A run a registered model version was made from is never purged: the version's lineage
    and reproduction need it.
    """
    with store.read() as conn:
        old = [
            str(row[0])
            for row in conn.execute(
                select(t.runs.c.id)
                .where(t.runs.c.deleted_at.is_not(None), t.runs.c.deleted_at < before)
                .order_by(t.runs.c.deleted_at)
            )
        ]
        used = (
            {
                str(row[0])
                for row in conn.execute(
                    select(t.model_versions.c.run_id).where(t.model_versions.c.run_id.in_(old))
                )
            }
            if old
            else set()
        )
    purge = [i for i in old if i not in used]
    if apply and purge:
        with store.write() as conn:
            for start in range(0, len(purge), 500):
                chunk = purge[start : start + 500]
                for table in (
                    t.params,
                    t.tags,
                    t.metric_chunks,
                    t.latest_metrics,
                    t.artifacts,
                    t.logged_models,
                    t.run_inputs,
                    t.run_cells,
                    t.run_dataset_links,
                ):
                    conn.execute(delete(table).where(table.c.run_id.in_(chunk)))
                # Children of a purged run become top-level runs rather than dangling.
                conn.execute(
                    update(t.runs).where(t.runs.c.parent_id.in_(chunk)).values(parent_id=None)
                )
                # Histories keep their entries (a step ran, a tick fired) but no longer point
                # at a run that is gone: every face then shows "no run", never a dead link.
                for table, column in _RUN_REFERENCES:
                    conn.execute(
                        update(table).where(table.c[column].in_(chunk)).values({column: None})
                    )
                conn.execute(delete(t.runs).where(t.runs.c.id.in_(chunk)))
    return purge, [i for i in old if i in used]
