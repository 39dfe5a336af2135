"""The store: runs and their records in a database, objects in the artifact store."""

from jupyter_mlops.store.core import Store, current_store, open_store, reset_current_store

__all__ = ["Store", "current_store", "open_store", "reset_current_store"]
