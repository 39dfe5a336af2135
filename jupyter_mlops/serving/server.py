"""Running a model server: in the foreground (``jupyter-mlops serve``, with worker processes)
or in a background thread of this process (``%mlops serve`` in a notebook, tests)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import tornado.httpserver
import tornado.ioloop
import tornado.netutil

from jupyter_mlops.errors import MlopsError
from jupyter_mlops.serving.app import MAX_BODY, ServingState, make_app

__all__ = [
    "LOOPBACK",
    "BackgroundServer",
    "Options",
    "ServingState",
    "build_state",
    "run_foreground",
    "url_of",
]
from jupyter_mlops.serving.holder import ModelHolder
from jupyter_mlops.serving.inference_log import InferenceLogger
from jupyter_mlops.serving.presence import Presence
from jupyter_mlops.store import Store

LOOPBACK = ("127.0.0.1", "localhost", "::1")
#: Workers dying this soon after starting, this many times, stop the server.
QUICK_DEATH_S = 2.0
QUICK_DEATHS = 5

log = logging.getLogger("jupyter_mlops.serving")


@dataclass(frozen=True)
class Options:
    """How to serve: what, where, how many processes, logging and limits."""

    uri: str
    host: str = "127.0.0.1"
    port: int = 5000
    workers: int = 1
    token: str | None = None
    log_sample: float = 1.0
    flush_seconds: float = 1.0
    poll: float = 1.0
    max_body: int = MAX_BODY
    trusted: bool = False


def build_state(store: Store, options: Options) -> ServingState:
    """Load the model (raising if it cannot load) and set up its log."""
    holder = ModelHolder(store, options.uri, trusted=options.trusted, poll=options.poll)
    server_id = uuid.uuid4().hex
    logger = None
    if options.log_sample > 0:
        logger = InferenceLogger(
            store,
            holder.name,
            holder.stage,
            sample=options.log_sample,
            flush_seconds=options.flush_seconds,
            server_id=server_id,
        )
    return ServingState(holder, logger, options.token, options.max_body, server_id=server_id)


def _presence(state: ServingState, url: str) -> Presence:
    holder = state.holder
    return Presence(
        holder.store,
        state.server_id,
        holder.name,
        holder.stage,
        url,
        lambda: holder.current.version,
    )


def _bind(host: str, port: int) -> list[socket.socket]:
    return tornado.netutil.bind_sockets(port, host, reuse_port=False)


def url_of(host: str, sockets: list[socket.socket]) -> str:
    port = sockets[0].getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class BackgroundServer:
    """A server answering from a thread of this process until :meth:`stop`."""

    def __init__(self, state: ServingState, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = state
        self._sockets = _bind(host, port)
        self.url = url_of(host, self._sockets)
        self._loop: tornado.ioloop.IOLoop | None = None
        self._server: tornado.httpserver.HTTPServer | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mlops-serve", daemon=True)
        self._presence = _presence(state, self.url)

    def start(self) -> BackgroundServer:
        self.state.holder.start()
        if self.state.logger is not None:
            self.state.logger.start()
        self._thread.start()
        self._started.wait(10)
        self._presence.start()
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        self._loop = tornado.ioloop.IOLoop.current()
        self._server = tornado.httpserver.HTTPServer(make_app(self.state), xheaders=False)
        self._server.add_sockets(self._sockets)
        self._loop.add_callback(self._started.set)
        self._loop.start()
        self._loop.close(all_fds=True)

    def stop(self) -> None:
        """Stop answering, stop following the stage, write the rest of the log."""
        loop, server = self._loop, self._server
        if loop is not None and server is not None and self._thread.is_alive():

            def halt() -> None:
                server.stop()
                loop.stop()

            loop.add_callback(halt)
            self._thread.join(timeout=10)
        self._presence.close()
        self.state.holder.close()
        if self.state.logger is not None:
            self.state.logger.close()


def run_foreground(
    store: Store,
    options: Options,
    on_ready: Callable[[ServingState, str], None],
) -> None:
    """Serve until SIGTERM or SIGINT; with ``workers > 1``, in that many forked processes.

    The model is loaded once before forking, so a model that cannot load fails at once.
    """
    state = build_state(store, options)
    sockets = _bind(options.host, options.port)
    url = url_of(options.host, sockets)
    if options.workers <= 1:
        on_ready(state, url)
        _serve_here(state, sockets, url)
        return
    state.holder.close()
    store.engine.dispose()  # no pooled connection may be shared with the children
    on_ready(state, url)
    _supervise(store, options, sockets, url)


def _serve_here(state: ServingState, sockets: list[socket.socket], url: str) -> None:
    loop = tornado.ioloop.IOLoop.current()
    server = tornado.httpserver.HTTPServer(make_app(state))
    server.add_sockets(sockets)

    def stop(*_: Any) -> None:
        def halt() -> None:
            server.stop()
            loop.stop()

        loop.add_callback_from_signal(halt)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    state.holder.start()
    if state.logger is not None:
        state.logger.start()
    presence = _presence(state, url)
    presence.start()
    try:
        loop.start()
    finally:
        presence.close()
        state.holder.close()
        if state.logger is not None:
            state.logger.close()


def _supervise(store: Store, options: Options, sockets: list[socket.socket], url: str) -> None:
    """Fork ``options.workers`` children sharing ``sockets``; restart any that dies.

    A worker that dies within ``QUICK_DEATH_S`` of starting, ``QUICK_DEATHS`` times over,
    stops them all (a fault that restarting cannot cure, such as an unreadable store).
    """
    children: dict[int, int] = {}
    started: dict[int, float] = {}
    quick_deaths = 0
    stopping = False

    def spawn(slot: int) -> None:
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                store.engine.dispose(close=False)
                _serve_here(build_state(store, options), sockets, url)
            except BaseException:  # noqa: BLE001 - the supervisor restarts the worker
                code = 1
            finally:
                os._exit(code)
        children[pid] = slot
        started[slot] = time.monotonic()

    def forward(signum: int, _: Any) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for slot in range(options.workers):
        spawn(slot)
    while children:
        try:
            pid, _status = os.wait()
        except ChildProcessError:
            break
        ended = children.pop(pid, None)
        if ended is None or stopping:
            continue
        if time.monotonic() - started[ended] < QUICK_DEATH_S:
            quick_deaths += 1
            if quick_deaths >= QUICK_DEATHS:
                log.error("mlops serve: workers keep dying at start; stopping")
                forward(signal.SIGTERM, None)
                continue
        spawn(ended)
    if quick_deaths >= QUICK_DEATHS:
        raise MlopsError(
            f"The server's workers failed {quick_deaths} times within {QUICK_DEATH_S:.0f} s "
            "of starting; run with --workers 1 to see why."
        )
