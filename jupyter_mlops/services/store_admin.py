"""``jupyter-mlops store``: the store's facts, its schema upgrade, and merging it into another."""

from __future__ import annotations

from collections.abc import Callable

from jupyter_mlops.services import schema
from jupyter_mlops.store import Store
from jupyter_mlops.store.engine import current_revision
from jupyter_mlops.store.health import count_records
from jupyter_mlops.store.migrate import migrate_store

__all__ = ["info", "migrate", "upgrade"]


def info(store: Store) -> schema.StoreInfo:
    """The store's database, schema revision, artifact store and how many records it holds."""
    return schema.StoreInfo(
        uri=store.uri,
        dialect=store.dialect,
        revision=current_revision(store.engine),
        artifacts=store.objects.uri,
        counts=count_records(store),
    )


def upgrade(store: Store) -> schema.StoreInfo:
    """Bring the schema to this version's (opening the store already did) and say where it is."""
    return info(store)


def migrate(
    store: Store,
    target: str,
    *,
    artifacts_to: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> schema.StoreMigration:
    """Merge every record and object of ``store`` into the store at ``target``."""
    report = migrate_store(store, target, artifacts_to=artifacts_to, progress=progress)
    return schema.StoreMigration.model_validate(report.to_dict())
