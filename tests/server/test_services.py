"""The pieces under the handlers, without a server: error mapping, root paths, the route list."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pydantic
import pytest
from sqlalchemy.exc import IntegrityError
from tornado.web import HTTPError

from jupyter_mlops.errors import (
    ArtifactIntegrityError,
    ConflictError,
    FilterSyntaxError,
    GateRefused,
    MlopsUsageError,
    NotFoundError,
    StoreError,
)
from jupyter_mlops.server.errors import http_error
from jupyter_mlops.server.extension import ROUTES
from jupyter_mlops.server.openapi import path_template, served_methods
from jupyter_mlops.services import schema
from jupyter_mlops.services.paths import in_root, inside_root


def _integrity(orig: Exception) -> IntegrityError:
    return IntegrityError("INSERT INTO t VALUES (?)", {}, orig)


def _validation_error() -> pydantic.ValidationError:
    try:
        schema.PromoteRequest.model_validate({"stage": "production", "extra": 1})
    except pydantic.ValidationError as exc:
        return exc
    raise AssertionError("expected a validation error")


CHECK = {
    "expression": "metrics.auc > 0.9",
    "passed": False,
    "status": "failed",
    "values": {"metrics.auc": 0.5},
    "message": "refused: metrics.auc > 0.9 (0.5)",
    "error": None,
}


@pytest.mark.parametrize(
    ("error", "status", "text"),
    [
        (NotFoundError("No run 'x'."), 404, "No run 'x'."),
        (MlopsUsageError("Bad limit.\nGive a number."), 400, "Bad limit. Give a number."),
        (FilterSyntaxError("Invalid filter at 3", expression="a >", position=3), 400, "Invalid"),
        (ConflictError("Stage moved."), 409, "Stage moved."),
        (GateRefused("Promotion refused: auc", failed=[CHECK]), 422, "Promotion refused"),
        (_validation_error(), 400, "version: is required; extra: is not an option of this request"),
        (ArtifactIntegrityError("Object ab is corrupt.", digest="ab"), 500, "corrupt"),
        (HTTPError(403, "'_xsrf' argument missing from POST"), 403, "_xsrf"),
        (HTTPError(405), 405, "Method Not Allowed"),
        (StoreError("The store could not be written: locked"), 503, "could not be written"),
        (
            StoreError("Cannot reach the store's database at postgresql+psycopg://h/db"),
            503,
            "reach",
        ),
        (_integrity(psycopg.errors.UniqueViolation('duplicate key "uq"\nDETAIL: x')), 409, "same"),
        (_integrity(psycopg.errors.ForeignKeyViolation("violates foreign key")), 409, "moment"),
        (_integrity(sqlite3.IntegrityError("UNIQUE constraint failed: t.name")), 409, "again"),
        (_integrity(psycopg.errors.NotNullViolation("null value")), 500, "(IntegrityError)"),
        (_integrity(sqlite3.IntegrityError("NOT NULL constraint failed: t.a")), 500, "Internal"),
        (RuntimeError("secret detail"), 500, "Internal error (RuntimeError)"),
    ],
)
def test_errors_map_to_status_codes_in_one_place(
    error: BaseException, status: int, text: str
) -> None:
    code, body = http_error(error)
    assert code == status
    assert text in body.error
    assert "\n" not in body.error
    assert "secret detail" not in body.error


def test_a_refused_promotion_carries_its_checks() -> None:
    _, body = http_error(GateRefused("refused", failed=[CHECK], checks=[CHECK, CHECK]))
    assert body.checks is not None and len(body.checks) == 2
    assert body.checks[0].values == {"metrics.auc": 0.5}


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("../outside.txt", "outside the server's root"),
        ("sub/../../outside.txt", "outside the server's root"),
        ("/etc/passwd", "relative to the server's root"),
        ("~/x.ipynb", "relative to the server's root"),
        ("", "relative to the server's root"),
        ("missing.ipynb", "No notebook 'missing.ipynb'"),
        ("link.ipynb", "outside the server's root"),
    ],
)
def test_paths_a_client_names_stay_inside_the_root(
    tmp_path: Path, given: str, message: str
) -> None:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (tmp_path / "outside.txt").write_text("x")
    (root / "link.ipynb").symlink_to(tmp_path / "outside.txt")
    with pytest.raises(MlopsUsageError, match=message.replace("(", r"\(")):
        inside_root(root, given, what="notebook")


def test_a_path_inside_the_root_resolves(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.ipynb").write_text("{}")
    assert inside_root(tmp_path, "sub/a.ipynb") == (tmp_path / "sub" / "a.ipynb").resolve()
    assert in_root(tmp_path, str(tmp_path / "sub" / "a.ipynb")) == "sub/a.ipynb"
    assert in_root(tmp_path, "sub/a.ipynb") == "sub/a.ipynb"
    assert in_root(tmp_path, "/elsewhere/a.ipynb") is None
    assert in_root(tmp_path, None) is None


def test_the_route_list_for_people_names_every_route() -> None:
    text = (Path(__file__).parents[2] / "jupyter_mlops" / "server" / "routes.md").read_text()
    prefix = f"/{schema.API_BASE}/"
    for pattern, handler in ROUTES:
        path = path_template(pattern).removeprefix(prefix)
        for method in served_methods(handler):
            assert f"| {method.upper()} | `{path}` |" in text, (method, path)
