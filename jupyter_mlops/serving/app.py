"""The HTTP face of a model server (Tornado): MLflow's scoring protocol, V2, metadata.

Routes: ``POST /invocations`` (MLflow), ``POST /v2/models/NAME[/versions/V]/infer``,
``GET /v2/health/live``, ``GET /v2/health/ready``, ``GET /v2/models/NAME[/versions/V]``,
``GET /v2/models/NAME/ready``, ``GET /v2``, ``GET /metadata``, ``GET /ping``/``/health``.
Every answer names the version that produced it: the ``X-Mlops-Model-Version`` header and
``model_version`` in the body. A refused request is a 400 (413 for a body over the limit)
with one line in ``message``; request bodies are read in chunks and dropped once over the
limit, so an oversized body never sits in memory.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tornado.http1connection
import tornado.web

from jupyter_mlops._version import __version__
from jupyter_mlops.serving.holder import ModelHolder, Served
from jupyter_mlops.serving.inference_log import InferenceLogger
from jupyter_mlops.serving.payload import mlflow_frame, plain, v2_datatype, v2_frame
from jupyter_mlops.serving.signature import (
    Matrix,
    PayloadError,
    Rows,
    conform_rows,
    input_columns,
)

access = logging.getLogger("jupyter_mlops.serving.access")

#: The default largest request body: 16 MiB.
MAX_BODY = 16 * 1024 * 1024
#: The most rows one request may ask for.
MAX_ROWS = 100_000


@dataclass
class Stats:
    """Counts since the server started, for ``/metadata``."""

    requests: int = 0
    errors: int = 0
    rows: int = 0
    latency_ms_total: float = 0.0
    started: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        answered = max(self.requests - self.errors, 1)
        return {
            "requests": self.requests,
            "errors": self.errors,
            "rows": self.rows,
            "mean_latency_ms": round(self.latency_ms_total / answered, 3),
            "uptime_s": round(time.time() - self.started, 1),
        }


@dataclass
class ServingState:
    """What every handler shares: the model, the log, the limits and the token."""

    holder: ModelHolder
    logger: InferenceLogger | None = None
    token: str | None = None
    max_body: int = MAX_BODY
    max_rows: int = MAX_ROWS
    stats: Stats = field(default_factory=Stats)
    #: This server (process) in the store: its presence row and its logged batches.
    server_id: str = field(default_factory=lambda: uuid.uuid4().hex)


class _Handler(tornado.web.RequestHandler):
    """JSON errors, the token check and the version headers shared by every route."""

    #: Routes anyone may ask without the token (liveness probes).
    open_route = False

    def initialize(self, state: ServingState) -> None:
        self.state = state

    def prepare(self) -> None:
        token = self.state.token
        if token and not self.open_route:
            given = self.request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            given = given or self.request.headers.get("X-Mlops-Token", "")
            if not hmac.compare_digest(given.encode(), token.encode()):
                raise tornado.web.HTTPError(401, reason="Unauthorized")

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json")

    def send(self, body: dict[str, Any], status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(body, default=_json_default))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.state.stats.errors += 1
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = getattr(exc, "log_message", None) or self._reason
        if status_code == 401:
            message = "Give the server's token: Authorization: Bearer TOKEN."
        elif status_code == 413:
            message = f"The request body is over the server's limit of {self.state.max_body} bytes."
        self.finish(
            json.dumps(
                {"error_code": _CODES.get(status_code, "INTERNAL_ERROR"), "message": message}
            )
        )

    def named(self, served: Served) -> None:
        p = served.predictor
        self.set_header("X-Mlops-Model", p.name)
        self.set_header("X-Mlops-Model-Version", str(p.version))


_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    404: "RESOURCE_DOES_NOT_EXIST",
    413: "REQUEST_TOO_LARGE",
    503: "SERVICE_UNAVAILABLE",
}


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


@tornado.web.stream_request_body
class _Predicting(_Handler):
    """A route that takes a body (read in chunks, bounded) and answers with predictions."""

    def prepare(self) -> None:
        super().prepare()
        self._chunks: list[bytes] = []
        self._size = 0
        self._too_big = False
        length = self.request.headers.get("Content-Length")
        if length is not None and length.isdigit() and int(length) > self.state.max_body:
            self._too_big = True
        connection = self.request.connection
        if isinstance(connection, tornado.http1connection.HTTP1Connection):
            # Past this, Tornado closes the connection instead of reading on.
            connection.set_max_body_size(max(self.state.max_body * 4, 1 << 20))

    def data_received(self, chunk: bytes) -> None:
        if self._too_big:
            return
        self._size += len(chunk)
        if self._size > self.state.max_body:
            self._too_big = True
            self._chunks = []
            return
        self._chunks.append(chunk)

    def body(self) -> bytes:
        if self._too_big:
            raise tornado.web.HTTPError(413)
        return b"".join(self._chunks)

    def predict(self, frame: Rows, request_id: str | None = None) -> tuple[Served, str, Any]:
        """Check ``frame`` against the served version's signature and predict, logging it."""
        started = time.perf_counter()
        served = self.state.holder.current  # the version this request is accepted by
        self.named(served)
        request_id = request_id or self.request.headers.get("X-Request-Id") or uuid.uuid4().hex
        self.set_header("X-Request-Id", request_id)
        self.state.stats.requests += 1
        if len(frame) > self.state.max_rows:
            raise PayloadError(
                f"The request has {len(frame)} rows; the server takes at most "
                f"{self.state.max_rows} per request (use `jupyter-mlops predict` for files)."
            )
        rows = conform_rows(frame, served.predictor.signature)
        try:
            predictions = _predict(served, rows)
        except (ValueError, TypeError) as exc:
            # One line: scikit-learn's messages go on to advice over several lines.
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise PayloadError(f"The model refused the input: {first}") from None
        latency = (time.perf_counter() - started) * 1000
        self.state.stats.rows += len(rows)
        self.state.stats.latency_ms_total += latency
        if self.state.logger is not None:
            self.state.logger.record(
                request_id, served.version, rows, predictions, round(latency, 3)
            )
        return served, request_id, predictions

    def refuse(self, exc: PayloadError) -> None:
        self.state.stats.errors += 1
        self.send({"error_code": "BAD_REQUEST", "message": str(exc)}, 400)


def _predict(served: Served, rows: Rows) -> Any:
    fast = served.array
    if isinstance(rows, Matrix):
        if fast is not None and rows.columns == fast.columns:
            # Checked against the signature: these are the values the model would take
            # out of a frame, so it is handed them without one.
            return fast.predict(rows.values)
        rows = rows.frame()
    if fast is not None and rows.columns.tolist() == fast.columns:
        return fast.predict(rows.to_numpy())
    return served.predictor.predict(rows)


class Invocations(_Predicting):
    """``POST /invocations``: MLflow's scoring protocol, JSON or CSV."""

    def post(self) -> None:
        try:
            frame = mlflow_frame(self.body(), self.request.headers.get("Content-Type", ""))
            served, _, predictions = self.predict(frame)
        except PayloadError as exc:
            self.refuse(exc)
            return
        p = served.predictor
        self.send(
            {"predictions": plain(predictions), "model_name": p.name, "model_version": p.version}
        )


class V2Infer(_Predicting):
    """``POST /v2/models/NAME[/versions/V]/infer``: the Open Inference Protocol."""

    def post(self, name: str, version: str | None = None) -> None:
        _check_name(self.state, name)
        serving = self.state.holder.current.version
        if version is not None and version != str(serving):
            # Asked for a version this server no longer (or never) serves.
            raise tornado.web.HTTPError(
                404, f"This server serves version {serving} of {name!r}, not {version}."
            )
        try:
            frame, given_id = v2_frame(self.body())
            served, request_id, predictions = self.predict(frame, given_id)
        except PayloadError as exc:
            self.refuse(exc)
            return
        array = np.asarray(predictions)
        self.send(
            {
                "model_name": served.predictor.name,
                "model_version": str(served.version),
                "id": request_id,
                "outputs": [
                    {
                        "name": "predict",
                        "shape": list(array.shape),
                        "datatype": v2_datatype(array),
                        "data": array.reshape(-1).tolist(),
                    }
                ],
            }
        )


def _check_name(state: ServingState, name: str) -> None:
    if name != state.holder.name:
        raise tornado.web.HTTPError(
            404, f"This server serves model {state.holder.name!r}, not {name!r}."
        )


class Live(_Handler):
    """``GET /v2/health/live`` (and ``/ping``, ``/health``): the process answers."""

    open_route = True

    def get(self) -> None:
        self.send({"live": True})


class Ready(_Handler):
    """``GET /v2/health/ready``: a version is loaded; ``problem`` says why it may be stale."""

    def get(self, name: str | None = None) -> None:
        if name is not None:
            _check_name(self.state, name)
        served = self.state.holder.current
        self.named(served)
        self.send(
            {
                "ready": True,
                "model_name": served.predictor.name,
                "model_version": served.version,
                "problem": self.state.holder.problem,
            }
        )


class V2Server(_Handler):
    """``GET /v2``: the server's metadata."""

    def get(self) -> None:
        self.send({"name": "jupyter-mlops", "version": __version__, "extensions": []})


class V2Model(_Handler):
    """``GET /v2/models/NAME[/versions/V]``: the model's V2 metadata."""

    def get(self, name: str, version: str | None = None) -> None:
        _check_name(self.state, name)
        served = self.state.holder.current
        self.named(served)
        inputs = [
            {"name": c["name"], "datatype": _v2_type(c["dtype"]), "shape": [-1]}
            for c in input_columns(served.predictor.signature)
        ]
        self.send(
            {
                "name": served.predictor.name,
                "versions": [str(served.version)],
                "platform": served.predictor.flavor,
                "inputs": inputs,
                "outputs": [{"name": "predict", "datatype": "FP64", "shape": [-1]}],
                "model_version": served.version,
            }
        )


def _v2_type(dtype: str) -> str:
    try:
        kind = np.dtype(dtype).kind
    except TypeError:
        return "BYTES"
    return {"b": "BOOL", "i": "INT64", "u": "UINT64", "f": "FP64"}.get(kind, "BYTES")


class Metadata(_Handler):
    """``GET /metadata``: name, version, stage, signature, lineage, log and traffic counts."""

    def get(self) -> None:
        served = self.state.holder.current
        self.named(served)
        body = self.state.holder.describe()
        body["model_version"] = served.version
        body["stats"] = self.state.stats.to_dict()
        logger = self.state.logger
        body["inference_log"] = (
            {
                "sample": logger.sample,
                "logged": logger.logged,
                "dropped": logger.dropped,
                "batches": logger.batches,
                "flush_seconds": logger.flush_seconds,
                "error": logger.last_error,
            }
            if logger is not None
            else None
        )
        self.send(body)


def make_app(state: ServingState) -> tornado.web.Application:
    """The Tornado application answering for ``state``'s model."""
    model = r"/v2/models/([^/]+)(?:/versions/([^/]+))?"
    routes: list[Any] = [
        (r"/invocations", Invocations),
        (model + r"/infer", V2Infer),
        (r"/v2/models/([^/]+)/ready", Ready),
        (model, V2Model),
        (r"/v2/health/live", Live),
        (r"/v2/health/ready", Ready),
        (r"/v2/?", V2Server),
        (r"/metadata", Metadata),
        (r"/ping", Live),
        (r"/health", Live),
    ]
    return tornado.web.Application(
        [(path, handler, {"state": state}) for path, handler in routes],
        default_handler_class=_NotFound,
        default_handler_args={"state": state},
        log_function=_access,
    )


def _access(handler: tornado.web.RequestHandler) -> None:
    # Refusals are the client's answer, not the server's trouble: debug, not warnings.
    access.debug(
        "%s %s %s %.2fms",
        handler.get_status(),
        handler.request.method,
        handler.request.uri,
        1000 * handler.request.request_time(),
    )


class _NotFound(_Handler):
    def prepare(self) -> None:
        raise tornado.web.HTTPError(404, f"No route {self.request.path}; see /metadata.")
