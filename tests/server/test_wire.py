"""One schema source: the committed TypeScript types and the OpenAPI document match the models."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from jupyter_mlops.server import gen_ts
from jupyter_mlops.server.extension import ROUTES
from jupyter_mlops.server.openapi import build, path_template, served_methods
from jupyter_mlops.services import schema as wire

WIRE_TS = Path(__file__).parents[2] / "labextension" / "src" / "wire.ts"


def test_the_committed_typescript_types_match_the_models() -> None:
    expected = gen_ts.generate()
    assert WIRE_TS.read_text(encoding="utf-8") == expected, (
        "labextension/src/wire.ts is out of date: run "
        "`python -m jupyter_mlops.server.gen_ts > labextension/src/wire.ts`"
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
    assert "  metrics: { [key: string]: number | null };" in text


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
