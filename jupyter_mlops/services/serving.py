"""Serving: answer requests with the model that holds a stage; score files in batches.

``serve`` runs a server in the foreground (``jupyter-mlops serve``); ``start`` runs one in a
background thread of this process and ``stop`` ends it (``%mlops serve``); ``predict_file``
scores a file chunk by chunk (``jupyter-mlops predict``).
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Callable
from pathlib import Path

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.models import Predictor, load_predictor
from jupyter_mlops.models.registry import versions_of
from jupyter_mlops.pipelines.executors import DaskExecutor, make_executor
from jupyter_mlops.services import schema
from jupyter_mlops.serving.batch import Scored, score_file
from jupyter_mlops.serving.dask_batch import input_files, score_on_dask
from jupyter_mlops.serving.presence import servers_of
from jupyter_mlops.serving.server import (
    LOOPBACK,
    BackgroundServer,
    Options,
    ServingState,
    build_state,
    run_foreground,
)
from jupyter_mlops.serving.traffic import traffic_summary
from jupyter_mlops.store import Store

#: The environment variable holding the token clients must send.
TOKEN_ENV = "MLOPS_SERVE_TOKEN"  # noqa: S105 - a variable name, not a secret

_running: dict[str, BackgroundServer] = {}
_running_lock = threading.Lock()


def options(request: schema.ServeRequest) -> Options:
    """The server's options, with the token rule applied.

    Raises:
        MlopsUsageError: a host beyond this machine without a token.
    """
    token = request.token or os.environ.get(TOKEN_ENV) or None
    if request.host not in LOOPBACK and not token:
        raise MlopsUsageError(
            f"Serving on {request.host} answers other machines: give --token TOKEN "
            f"(or set {TOKEN_ENV}) so only clients with it are answered."
        )
    return Options(
        uri=request.uri,
        host=request.host,
        port=request.port,
        workers=request.workers,
        token=token,
        log_sample=request.log_sample if request.log else 0.0,
        poll=request.poll_seconds,
        max_body=int(request.max_body_mb * 1024 * 1024),
        trusted=request.trusted,
    )


def _info(state: ServingState, url: str, opts: Options) -> schema.ServerInfo:
    served = state.holder.current.predictor
    return schema.ServerInfo(
        url=url,
        uri=state.holder.uri,
        model_name=served.name,
        version=served.version,
        stage=state.holder.stage,
        workers=opts.workers,
        log_sample=opts.log_sample,
        pid=os.getpid(),
    )


def serve(
    store: Store,
    request: schema.ServeRequest,
    on_ready: Callable[[schema.ServerInfo], None],
) -> None:
    """Serve ``request.uri`` until SIGTERM or Ctrl-C; ``on_ready`` hears when it answers.

    Raises:
        MlopsUsageError: bad options, an unknown model or stage, a pickle without ``trusted``.
        ArtifactIntegrityError: the model's artifact is corrupt.
    """
    opts = options(request)
    run_foreground(store, opts, lambda state, url: on_ready(_info(state, url, opts)))


def start(store: Store, request: schema.ServeRequest) -> schema.ServerInfo:
    """Serve ``request.uri`` from a background thread of this process until :func:`stop`."""
    opts = options(request)
    if opts.workers != 1:
        raise MlopsUsageError(
            "A server inside this process has one worker; for more, run "
            "`jupyter-mlops serve ... --workers N` in a terminal."
        )
    state = build_state(store, opts)
    try:
        server = BackgroundServer(state, opts.host, opts.port).start()
    except OSError as exc:
        state.holder.close()
        raise MlopsUsageError(
            f"Cannot listen on {opts.host}:{opts.port} ({exc.strerror}); choose another --port."
        ) from None
    with _running_lock:
        _running[server.url] = server
    return _info(state, server.url, opts)


def running() -> list[schema.ServerInfo]:
    """The servers :func:`start` runs in this process."""
    with _running_lock:
        servers = list(_running.values())
    return [
        _info(s.state, s.url, Options(uri=s.state.holder.uri, log_sample=_sample(s.state)))
        for s in servers
    ]


def _sample(state: ServingState) -> float:
    return state.logger.sample if state.logger is not None else 0.0


def stop(url: str | None = None) -> list[str]:
    """Stop the server at ``url`` (every server of this process when None); their URLs.

    Raises:
        MlopsUsageError: no server runs at ``url``.
    """
    with _running_lock:
        if url is None:
            chosen = list(_running)
        elif url.rstrip("/") in _running:
            chosen = [url.rstrip("/")]
        else:
            known = ", ".join(_running) or "none"
            raise MlopsUsageError(f"No server of this process runs at {url} (running: {known}).")
        servers = [_running.pop(u) for u in chosen]
    for server in servers:
        server.stop()
    return chosen


def predict_file(store: Store, request: schema.PredictRequest) -> schema.PredictInfo:
    """Score ``request.input`` into ``request.output`` in chunks of ``chunk_rows`` rows,
    here or on the Dask cluster ``request.executor`` names.

    Raises:
        MlopsUsageError: an unreadable input, an unknown model or executor, rows that do not
            fit its signature (nothing is written then).
    """
    predictor = load_predictor(request.uri, trusted=request.trusted, store=store)
    source, output = Path(request.input), Path(request.output)
    if request.executor == "local":
        scored = score_file(predictor, source, output, chunk_rows=request.chunk_rows)
    else:
        scored = _score_on_cluster(request.executor, predictor, source, output, request.chunk_rows)
    return schema.PredictInfo(
        uri=request.uri,
        model_name=predictor.name,
        version=predictor.version,
        input=request.input,
        output=request.output,
        rows=scored.rows,
        chunks=scored.chunks,
        executor=request.executor,
    )


def _score_on_cluster(
    spec: str, predictor: Predictor, source: Path, output: Path, chunk_rows: int
) -> Scored:
    if not spec.startswith("dask://"):
        raise MlopsUsageError(f"Unknown executor {spec!r}: use 'local' or 'dask://HOST:PORT'.")
    if output.suffix.lower() == ".csv":
        raise MlopsUsageError(
            f"Cannot write {output.name} on Dask: the output is a directory of Parquet files."
        )
    input_files(source)  # a bad input is refused before connecting to the cluster
    executor = make_executor(spec)
    assert isinstance(executor, DaskExecutor)  # what a dask:// spec makes
    try:
        return score_on_dask(executor.client, predictor, source, output, chunk_rows=chunk_rows)
    finally:
        executor.close()


#: How far back the Models tab's traffic figures reach.
TRAFFIC_WINDOW_S = 3600.0


def model_serving(store: Store, name: str) -> schema.ModelServing:
    """Which servers serve model ``name`` (up, or left behind by a crash) and what each of
    its versions answered in the last hour, from the logged traffic.

    Raises:
        NotFoundError: no model has that name.
    """
    versions_of(name, store=store)  # an unknown model is a 404, not an empty answer
    return schema.ModelServing(
        name=name,
        window_s=TRAFFIC_WINDOW_S,
        servers=[
            schema.ServedBy(
                url=s.url,
                pid=s.pid,
                stage=s.stage,
                version=s.version,
                started=s.started,
                last_seen=s.last_seen,
                up=s.up,
            )
            for s in servers_of(store, name)
        ],
        traffic=[
            schema.VersionTrafficInfo(**dataclasses.asdict(t))
            for t in traffic_summary(store, name, window_s=TRAFFIC_WINDOW_S)
        ],
    )
