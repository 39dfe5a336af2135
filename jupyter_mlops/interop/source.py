"""Opening an MLflow tracking store through MLflow's own client, refusing what is not one.

MLflow's client creates what it does not find (an empty SQLite database gets MLflow's
tables, a missing ``mlruns`` folder is made): an import only reads, so a source that is not
already an MLflow store is refused before the client sees it.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from jupyter_mlops.errors import MlopsUsageError

_HINT = "give sqlite:///PATH, file:PATH (an mlruns folder), postgresql://..., or http(s)://HOST"
_DATABASES = ("sqlite", "postgresql", "mysql", "mssql")


def _refuse(uri: str, why: str) -> MlopsUsageError:
    return MlopsUsageError(f"Cannot read the MLflow store {uri!r}: {why}; {_HINT}.")


def _sqlite_path(uri: str) -> Path:
    path = uri.split(":///", 1)[1] if ":///" in uri else ""
    return Path(unquote(path.split("?", 1)[0]))


def _check_sqlite(uri: str) -> None:
    path = _sqlite_path(uri)
    if not path.is_file():
        raise _refuse(uri, f"no database file at {path}")
    try:
        # Read-only: a file that is not an MLflow database must not become one.
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        raise _refuse(uri, f"{path} is not a SQLite database ({exc})") from None
    if not {"experiments", "runs", "alembic_version"} <= names:
        raise _refuse(uri, f"{path} is not an MLflow database (no MLflow tables)")


def _folder_path(uri: str) -> Path:
    if uri.startswith("file://"):
        return Path(unquote(urlparse(uri).path))
    if uri.startswith("file:"):
        return Path(unquote(uri[len("file:") :]))
    return Path(uri)


def _check_folder(uri: str) -> None:
    path = _folder_path(uri)
    if not path.is_dir():
        raise _refuse(uri, f"no mlruns folder at {path}")
    if not any(p.joinpath("meta.yaml").is_file() for p in path.iterdir() if p.is_dir()):
        raise _refuse(uri, f"{path} holds no MLflow experiment (no */meta.yaml)")


def open_client(uri: str) -> Any:
    """An ``MlflowClient`` reading ``uri``, after checking that ``uri`` is an MLflow store.

    Raises:
        MlopsUsageError: a malformed URI, or one naming no MLflow store (one line).
    """
    uri = uri.strip()
    scheme = urlparse(uri).scheme.split("+", 1)[0].lower()
    if scheme == "sqlite":
        _check_sqlite(uri)
    elif scheme == "file" or (scheme == "" and uri):
        _check_folder(uri)
        # MLflow 3 refuses its folder store unless asked: reading one is what import is for.
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    elif scheme in ("http", "https"):
        # A server that is down fails the first call at once instead of after minutes of
        # MLflow's own retries.
        os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
    elif scheme not in _DATABASES:
        raise _refuse(uri, "not an MLflow tracking URI")
    # Our own progress lines say what is happening; MLflow's download bars would interleave.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    # start-up: MLflow's client takes a second to import; only an import needs it.
    from mlflow.tracking import MlflowClient

    try:
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        client.search_experiments(max_results=1)
    except MlopsUsageError:
        raise
    except Exception as exc:  # noqa: BLE001 - MLflow raises many kinds: each "cannot read it"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _refuse(uri, first[:300]) from None
    return client


_TARGET_HINT = (
    "give sqlite:///PATH, file:PATH (an mlruns folder), postgresql://..., or http(s)://HOST"
)


def _unwritable(uri: str, why: str) -> MlopsUsageError:
    return MlopsUsageError(f"Cannot write to the MLflow store {uri!r}: {why}; {_TARGET_HINT}.")


def open_target(uri: str) -> Any:
    """An ``MlflowClient`` writing ``uri``: an MLflow store, or a place one can be made.

    A SQLite file or ``mlruns`` folder that does not exist yet is created by MLflow (in a
    folder that exists); one that exists must already be MLflow's.

    Raises:
        MlopsUsageError: a malformed or unreachable URI, or one naming something else.
    """
    uri = uri.strip()
    scheme = urlparse(uri).scheme.split("+", 1)[0].lower()
    if scheme == "sqlite":
        path = _sqlite_path(uri)
        if not str(path) or str(path) == ".":
            raise _unwritable(uri, "no database path")
        if path.exists():
            try:
                _check_sqlite(uri)
            except MlopsUsageError as exc:
                why = str(exc).split(": ", 1)[1].split("; ", 1)[0]
                raise _unwritable(uri, why) from None
        elif not path.parent.is_dir():
            raise _unwritable(uri, f"no folder {path.parent} to make the database in")
    elif scheme == "file" or (scheme == "" and uri):
        path = _folder_path(uri)
        if path.exists() and not path.is_dir():
            raise _unwritable(uri, f"{path} is a file, not an mlruns folder")
        if not path.exists() and not path.parent.is_dir():
            raise _unwritable(uri, f"no folder {path.parent} to make the mlruns folder in")
        subdirs = [p for p in path.iterdir() if p.is_dir()] if path.is_dir() else []
        if (
            path.is_dir()
            and any(path.iterdir())
            and not any(p.joinpath("meta.yaml").is_file() for p in subdirs)
        ):
            raise _unwritable(uri, f"{path} holds files but no MLflow experiment")
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    elif scheme in ("http", "https"):
        os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
    elif scheme not in _DATABASES:
        raise _unwritable(uri, "not an MLflow tracking URI")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    # start-up: MLflow's client takes a second to import; only an export needs it.
    from mlflow.tracking import MlflowClient

    try:
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        client.search_experiments(max_results=1)
    except Exception as exc:  # noqa: BLE001 - MLflow raises many kinds: each "cannot write it"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _unwritable(uri, first[:300]) from None
    return client
