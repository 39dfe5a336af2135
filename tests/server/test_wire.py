"""One schema source: the committed TypeScript types and the OpenAPI document match the models."""

from __future__ import annotations

import re
import typing
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from jupyter_mlops.expressions import RUN_STATUSES
from jupyter_mlops.server import gen_client, gen_ts, routes
from jupyter_mlops.server.extension import ROUTES
from jupyter_mlops.server.openapi import build, path_template, served_methods
from jupyter_mlops.services import schema as wire
from jupyter_mlops.store.pipelines import STEP_STATUSES

SRC = Path(__file__).parents[2] / "labextension" / "src"


@pytest.mark.parametrize(
    ("name", "generate"), [("wire.ts", gen_ts.generate), ("client.ts", gen_client.generate)]
)
def test_the_committed_typescript_files_match_the_generator(name: str, generate: Any) -> None:
    assert (SRC / name).read_text(encoding="utf-8") == generate(), (
        f"labextension/src/{name} is out of date: run `{gen_client.COMMAND}`"
    )


def test_the_typescript_types_cover_every_wire_model() -> None:
    text = gen_ts.generate()
    models = gen_ts.wire_models()
    assert wire.RunPage in models and wire.PromoteRequest in models and wire.Request not in models
    for model in models:
        assert f"export interface {model.__name__} {{" in text
    # Responses always carry every field; request fields with defaults are optional.
    assert "  total: number;" in text
    assert "  dry_run?: boolean;" in text
    assert "  experiment?: string[];" in text
    # NaN and the infinities travel as strings; statuses as named unions.
    assert 'export type Real = number | "NaN" | "Infinity" | "-Infinity";' in text
    assert "  metrics: Record<string, Real>;" in text
    assert 'export type RunStatus = "running" | "finished" | "failed" | "killed";' in text
    assert "  status: RunStatus;" in text
    assert "  status: StepStatus;" in text


def test_the_status_unions_are_the_values_the_domain_writes() -> None:
    assert sorted(typing.get_args(wire.RunStatus)) == sorted(RUN_STATUSES)
    assert typing.get_args(wire.StepStatus) == STEP_STATUSES


def _client_functions() -> Counter[str]:
    text = (SRC / "client.ts").read_text(encoding="utf-8")
    return Counter(re.findall(r"^export async function (\w+)\(", text, re.MULTILINE))


def test_every_operation_has_exactly_one_client_function(document: dict[str, Any]) -> None:
    functions = _client_functions()
    assert all(n == 1 for n in functions.values()), functions
    table = {route.name for route in routes.ROUTES}
    assert len(table) == len(routes.ROUTES)
    assert table <= set(functions)
    ids = {op["operationId"] for item in document["paths"].values() for op in item.values()}
    assert set(functions) == ids


def test_client_functions_take_path_values_then_the_request() -> None:
    text = gen_client.generate()
    assert "export async function searchRuns(\n  query: RunQuery = {}," in text
    assert "  return (await request('GET', 'runs', { ...options, query })) as RunPage;" in text
    assert "export async function getModelVersion(\n  name: string,\n  version: number,\n" in text
    assert "`models/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`" in text
    assert "export async function promoteModel(\n  name: string,\n  body: PromoteRequest,\n" in text
    assert "export async function getRun(\n  runId: string,\n" in text


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build()


def test_every_route_is_documented_with_each_of_its_methods(document: dict[str, Any]) -> None:
    for pattern, handler in ROUTES:
        path = path_template(pattern)
        assert path in document["paths"], path
        methods = set(served_methods(handler))
        assert set(document["paths"][path]) == methods, path
    assert len(document["paths"]) == len(ROUTES)


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_the_openapi_document_is_valid(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    schemas = document["components"]["schemas"]
    for name, schema in schemas.items():
        jsonschema.Draft202012Validator.check_schema(schema)
        assert re.fullmatch(r"[A-Za-z0-9._-]+", name)
    for ref in _refs(document):
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in schemas, ref
    operation_ids = []
    for path, item in document["paths"].items():
        names = re.findall(r"\{(\w+)\}", path)
        for method, op in item.items():
            operation_ids.append(op["operationId"])
            declared = [p["name"] for p in op["parameters"] if p["in"] == "path"]
            assert declared == names, (path, method)
            codes = set(op["responses"])
            assert codes & {"200", "201", "202"}, (path, method)
            assert {"401", "403"} <= codes, (path, method)
            if method == "post" and "requestBody" in op:
                assert "400" in codes
    assert len(operation_ids) == len(set(operation_ids))


def test_a_response_validates_against_its_documented_schema(document: dict[str, Any]) -> None:
    page = wire.RunPage(items=[], total=0, limit=50, offset=0).model_dump(mode="json")
    schema = {**document["components"]["schemas"]["RunPage"], "components": document["components"]}
    jsonschema.validate(page, schema)
