"""A throwaway PostgreSQL server for the test session, from the Debian binaries.

The server lives in a temporary folder, listens on 127.0.0.1 on a free port with ``trust``
authentication, and is stopped and removed at the end of the session. Each test gets its own
database, copied from a template that already holds the migrated schema (``CREATE DATABASE
... TEMPLATE`` copies files, so a fresh store costs a few milliseconds, not a migration).

initdb refuses to run as root, so as root the cluster belongs to the ``postgres`` system user
(created with ``useradd`` when the Debian package did not) and the server runs as that user.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

TEMPLATE = "mlops_template"
_OWNER = "postgres"


def find_bin_dir() -> Path:
    """The newest ``/usr/lib/postgresql/N/bin`` holding initdb and pg_ctl (or $PG_BIN)."""
    explicit = os.environ.get("PG_BIN")
    candidates = [explicit] if explicit else []
    candidates += sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
        reverse=True,
    )
    for candidate in candidates:
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    raise RuntimeError(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found in /usr/lib/postgresql/*/bin "
        "(or $PG_BIN). The store tests run against a real PostgreSQL: install them with "
        "`apt-get install postgresql` (CI does)."
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ensure_owner() -> tuple[int, int]:
    try:
        entry = pwd.getpwnam(_OWNER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", _OWNER],
            check=True,
        )
        entry = pwd.getpwnam(_OWNER)
    return entry.pw_uid, entry.pw_gid


class PostgresServer:
    """One PostgreSQL cluster in a temporary folder; :meth:`start` before use."""

    def __init__(self) -> None:
        self.bin_dir = find_bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="mlops-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.log = self.root / "server.log"
        self.port = _free_port()
        self._as_root = os.geteuid() == 0
        self._names = itertools.count(1)

    def _run(self, *args: str) -> None:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self._as_root:
            cmd = ["runuser", "-u", _OWNER, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(
                f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}{done.stderr}\n{log}"
            )

    def start(self) -> None:
        self.sockets.mkdir()
        if self._as_root:
            uid, gid = _ensure_owner()
            for path in (self.root, self.sockets):
                os.chown(path, uid, gid)
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--no-sync", "--no-instructions",
        )  # fmt: skip
        self._pg_ctl("start")
        with self.connect() as conn:
            conn.execute(f"CREATE DATABASE {TEMPLATE}")

    def _pg_ctl(self, action: str) -> None:
        # Durability settings off: a test cluster trades crash safety for speed.
        options = (
            f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        self._run("pg_ctl", action, "-D", str(self.data), "-l", str(self.log), "-w", "-o", options)

    def restart(self) -> None:
        """Restart the server (fast shutdown: open connections are cut)."""
        self.halt()
        self.resume()

    def halt(self) -> None:
        """Stop the server, keeping its data, as an outage would (fast shutdown)."""
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "fast", "-w")

    def resume(self) -> None:
        """Start the server again after :meth:`halt`."""
        self._pg_ctl("start")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URI for ``database`` over TCP on 127.0.0.1."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=database, autocommit=True
        )

    def migrate_template(self) -> None:
        """Create the schema in the template database (once per session)."""
        from jupyter_mlops.store.engine import make_engine, upgrade

        engine = make_engine(self.url(TEMPLATE))
        try:
            upgrade(engine)
        finally:
            engine.dispose()

    def new_database(self, *, migrated: bool = True) -> str:
        """Create a fresh database (with the schema when ``migrated``); return its URI."""
        name = f"t{os.getpid()}_{next(self._names)}"
        template = TEMPLATE if migrated else "template0"
        with self.connect() as conn:
            for attempt in range(50):
                try:
                    conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
                    break
                except psycopg.errors.ObjectInUse:
                    # A connection to the template is still closing; it goes within ms.
                    if attempt == 49:
                        raise
                    time.sleep(0.05)
        return self.url(name)

    def drop_database(self, uri: str) -> None:
        name = uri.rsplit("/", 1)[1]
        with self.connect() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
