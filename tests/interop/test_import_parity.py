"""The Python API, the CLI's JSON and ``%mlops`` give the same answer to an import (there is no
REST route for it: an import is started from a terminal or a notebook)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from IPython.core.error import UsageError

import jupyter_mlops as mlops
from tests.interop.conftest import Source

pytestmark = pytest.mark.filterwarnings(r"ignore:::mlflow(\.|$)")


def _same(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "seconds"}


def test_every_face_reports_a_repeated_import_alike_and_refuses_a_bad_source_alike(
    ip: Any, cli: Callable[..., Any], make_source: Callable[[str], Source]
) -> None:
    src = make_source("sqlite")
    first = mlops.interop.import_mlflow(src.uri).to_dict()
    assert first["runs_imported"] == 4

    api = _same(mlops.interop.import_mlflow(src.uri).to_dict())
    result = cli("import", "mlflow", "--from", src.uri, "--format", "json")
    assert result.code == 0, result.err
    assert _same(json.loads(result.out)) == api
    shown = ip.run(f"%mlops import mlflow --from {src.uri}").stdout
    assert "mlops: Imported 0 runs" in shown and "4 already here" in shown

    bad = "nonsense://x"
    with pytest.raises(mlops.MlopsUsageError) as raised:
        mlops.interop.import_mlflow(bad)
    refused = cli("import", "mlflow", "--from", bad)
    assert refused.code == 2 and str(raised.value) in refused.err
    with pytest.raises(UsageError, match="nonsense://x") as magic:
        ip.run(f"%mlops import mlflow --from {bad}")
    assert str(magic.value) == str(raised.value)
