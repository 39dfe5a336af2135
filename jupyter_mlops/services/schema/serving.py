"""Serving: a model server's options and what it serves; batch scoring of a file."""

from __future__ import annotations

from pydantic import Field

from jupyter_mlops.services.schema.base import Request, Response


class ServeRequest(Request):
    """Serve a registered model over HTTP."""

    uri: str = Field(
        description="models:/NAME@STAGE (follows the stage as it moves) or models:/NAME/VERSION"
    )
    host: str = Field(
        default="127.0.0.1",
        description="the address to listen on; any other than 127.0.0.1 needs a token",
    )
    port: int = Field(default=5000, ge=0, le=65535, description="the port (0: any free port)")
    workers: int = Field(default=1, ge=1, le=64, description="server processes sharing the port")
    token: str | None = Field(
        default=None,
        description="clients must send Authorization: Bearer TOKEN (default: MLOPS_SERVE_TOKEN)",
    )
    log: bool = Field(default=True, description="log inputs, outputs, version and latency")
    log_sample: float = Field(
        default=1.0, ge=0, le=1, description="the share of requests logged (0 to 1)"
    )
    poll_seconds: float = Field(
        default=1.0, gt=0, le=3600, description="how often to look whether the stage moved"
    )
    max_body_mb: float = Field(
        default=16.0, gt=0, le=1024, description="the largest request body, MiB"
    )
    trusted: bool = Field(
        default=False, description="allow model formats that run code on load (pickle)"
    )


class MlflowServerRequest(Request):
    """Serve MLflow's tracking REST API (and its artifact service) over a store."""

    host: str = Field(
        default="127.0.0.1",
        description="the address to listen on; any other than 127.0.0.1 needs a token",
    )
    port: int = Field(default=5000, ge=0, le=65535, description="the port (0: any free port)")
    token: str | None = Field(
        default=None,
        description="clients must send Authorization: Bearer TOKEN, as MLflow's client does "
        "with MLFLOW_TRACKING_TOKEN (default: MLOPS_SERVER_TOKEN)",
    )
    store: str | None = Field(
        default=None,
        description="the store's database URI (default: the working directory's project)",
    )


class ServerInfo(Response):
    """A model server that is answering."""

    url: str
    uri: str = Field(description="what the server follows: models:/NAME@STAGE or a version")
    model_name: str
    version: int = Field(description="the version answering now")
    stage: str | None
    workers: int
    log_sample: float = Field(description="the share of requests logged (0: logging off)")
    pid: int


class PredictRequest(Request):
    """Score a Parquet or CSV file with a registered model, chunk by chunk."""

    uri: str = Field(description="models:/NAME@STAGE, models:/NAME/VERSION or models:/NAME")
    input: str = Field(description="a .parquet or .csv file")
    output: str = Field(description="where to write the rows with predictions (.parquet, .csv)")
    chunk_rows: int = Field(
        default=100_000,
        ge=1,
        le=10_000_000,
        description="rows read, predicted and written at a time",
    )
    trusted: bool = Field(
        default=False, description="allow model formats that run code on load (pickle)"
    )
    executor: str = Field(
        default="local",
        description="local, or dask://HOST:PORT: score on a Dask cluster (Parquet in, "
        "a directory of Parquet files out)",
    )


class PredictInfo(Response):
    """What batch scoring wrote."""

    uri: str
    model_name: str
    version: int
    input: str
    output: str
    rows: int
    chunks: int
    executor: str = "local"


class ServedBy(Response):
    """A server of a model as the store last saw it."""

    url: str
    pid: int
    stage: str | None = Field(description="the stage it follows (None: a fixed version)")
    version: int = Field(description="the version it answered with when last seen")
    started: float
    last_seen: float
    up: bool = Field(description="seen within the last 20 seconds")


class VersionTrafficInfo(Response):
    """What one version answered recently (logged requests only)."""

    version: int
    requests: int
    rows: int
    p50_ms: float
    p99_ms: float
    first_request: float
    last_request: float


class ModelServing(Response):
    """Which servers serve a model's versions, and their recent traffic."""

    name: str
    window_s: float = Field(description="how far back the traffic reaches")
    servers: list[ServedBy]
    traffic: list[VersionTrafficInfo]
