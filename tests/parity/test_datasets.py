"""Datasets: the same list, version and diff from the Python API, %mlops, the CLI and REST."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

import jupyter_mlops as mlops
from tests.parity.conftest import Faces


def add(faces: Faces, name: str, text: str) -> mlops.data.DatasetVersion:
    path = faces.project.root / f"{name}.csv"
    path.write_text(text)
    return mlops.data.add(path, name, description=f"about {name}", store=faces.store)


def plain(value: Any) -> Any:
    """``value`` as JSON reads it back (tuples become lists)."""
    return json.loads(json.dumps(value))


def test_the_list_of_datasets_and_of_versions_is_the_same_everywhere(faces: Faces) -> None:
    add(faces, "p-list-b", "x,y\n1,a\n2,b\n")
    add(faces, "p-list-b", "x,y\n1,a\n2,b\n3,c\n")
    add(faces, "P-list-a", "x\n1\n")

    frame = mlops.data.list()
    cli = faces.cli_json("data", "list")
    rest = faces.rest("datasets")
    assert cli == rest
    api = [
        {
            **row,
            "rows": None if pd.isna(row["rows"]) else int(row["rows"]),
            "created_at": pytest.approx(row["created_at"].timestamp(), abs=1e-6),
            "description": None if pd.isna(row["description"]) else row["description"],
        }
        for row in frame.to_dict("records")
    ]
    assert cli["items"] == api
    names = [d["name"] for d in cli["items"]]
    assert names == sorted(names)  # code point: "P-list-a" before "p-list-b"
    assert names.index("P-list-a") < names.index("p-list-b")
    html = faces.magic("data list").displays[0]["text/html"]
    positions = [html.index(f"<td>{name}</td>") for name in names]
    assert positions == sorted(positions)

    versions = faces.cli_json("data", "list", "p-list-b")
    assert versions == faces.rest("datasets/p-list-b")
    assert [v["ref"] for v in versions["items"]] == list(mlops.data.list("p-list-b")["ref"])


def test_one_version_is_the_same_everywhere(faces: Faces) -> None:
    add(faces, "p-show", "x,y\n1,a\n2,b\n4,b\n")
    version = mlops.data.tag("p-show@1", "stage", "clean")

    cli = faces.cli_json("data", "show", "p-show@1")
    rest = faces.rest("datasets/p-show/1")
    assert cli == rest
    info = version.info()
    assert {k: v for k, v in cli.items() if k not in ("columns", "url")} == plain(
        {k: v for k, v in info.items() if k != "schema"}
    )
    assert cli["columns"] == info["schema"]
    assert faces.cli_json("data", "show", "p-show") == rest  # the latest version
    shown = faces.magic("data show p-show@1").displays[0]
    assert shown["text/plain"] == version.describe()
    assert f"<strong>{version.ref}</strong>" in shown["text/html"]


def test_a_diff_of_two_versions_is_the_same_everywhere(faces: Faces) -> None:
    add(faces, "p-diff", "x,y\n1,a\n2,b\n")
    add(faces, "p-diff", "x,y,z\n1,a,0.5\n2,c,1.5\n5,c,2.5\n")
    diff = mlops.data.diff("p-diff@1", "p-diff@2")

    cli = faces.cli_json("data", "diff", "p-diff@1", "p-diff@2")
    rest = faces.rest("datasets/p-diff/diff", **{"from": 1, "to": 2})
    assert cli == rest == plain(diff.to_dict())
    assert cli["added"] == [{"name": "z", "type": "float64"}]
    assert faces.cli("data", "diff", "p-diff@1", "p-diff@2").out == f"{diff}\n"
    shown = faces.magic("data diff p-diff@1 p-diff@2").displays[0]
    assert shown["text/plain"] == str(diff)
    assert "<li>columns added: z (float64)</li>" in shown["text/html"]
