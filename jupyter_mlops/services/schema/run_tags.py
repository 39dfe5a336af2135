"""The runs table's records: tags set on many runs, the experiments to pick from."""

from __future__ import annotations

from pydantic import Field

from jupyter_mlops.services.schema.base import Request, Response


class RunTagsRequest(Request):
    """Tags to set on several runs at once; a key a run already has gets the new value."""

    runs: list[str] = Field(description="run ids, short ids or names: one or more")
    tags: dict[str, str] = Field(description="the tags to set, KEY=VALUE: one or more")


class RunTagsResult(Response):
    """The runs tagged (full ids, in the order asked) and the tags they got."""

    runs: list[str]
    tags: dict[str, str]


class ExperimentInfo(Response):
    """An experiment and how many runs it has."""

    name: str
    runs: int


class ExperimentList(Response):
    """Every experiment of the store, by name."""

    items: list[ExperimentInfo]
