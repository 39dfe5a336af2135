"""DataDiff: schema, rows and profile changes between versions."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from jupyter_mlops.data.service import Datasets


@pytest.fixture
def two_versions(datasets: Datasets) -> Datasets:
    v1 = pd.DataFrame({"id": [1, 2, 3, 4], "age": [30, 40, 50, 60], "promo": ["a", "b", "a", "a"]})
    v2 = pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5],
            "age": [30.0, 40.0, None, 60.0, 70.0],
            "tenure": [1, 2, 3, 4, 5],
        }
    )
    datasets.add(v1, "customers")
    datasets.add(v2, "customers")
    return datasets


def test_diff_schema_rows_profile(two_versions: Datasets) -> None:
    diff = two_versions.diff("customers@1", "customers@2")
    assert not diff.same_content and bool(diff)
    assert diff.rows == (4, 5) and diff.row_change == 1
    assert diff.added == [("tenure", "int64")]
    assert diff.removed == [("promo", "str")]
    assert diff.retyped == [("age", "int64", "float64")]
    stds = (pd.Series([1, 2, 3, 4]).std(), pd.Series([1, 2, 3, 4, 5]).std())
    assert diff.profile["id"] == {"max": (4, 5), "mean": (2.5, 3.0), "std": pytest.approx(stds)}
    assert diff.profile["age"]["missing"] == (0.0, 0.2)
    assert diff.profile["age"]["max"] == (60, 70.0)
    assert "promo" not in diff.profile and "tenure" not in diff.profile


def test_diff_text_and_html(two_versions: Datasets) -> None:
    diff = two_versions.diff("customers@1", "customers")
    a, b = diff.digests
    text = str(diff)
    assert text.splitlines()[:6] == [
        f"customers@1 → customers@2: content changed ({a[:12]} → {b[:12]})",
        f"  size: {diff.sizes[0] / 1024:.1f} KB → {diff.sizes[1] / 1024:.1f} KB",
        "  rows: 4 → 5 (+1)",
        "  columns added: tenure (int64)",
        "  columns removed: promo (str)",
        "  columns retyped: age int64 → float64",
    ]
    assert "    age: missing 0.0% → 20.0%" in text
    page = diff._repr_html_()
    assert "<li>columns added: tenure (int64)</li>" in page


def test_diff_to_dict_is_json(two_versions: Datasets) -> None:
    doc = json.loads(json.dumps(two_versions.diff("customers@1", "customers@2").to_dict()))
    assert doc["row_change"] == 1
    assert doc["added"] == [{"name": "tenure", "type": "int64"}]
    assert doc["retyped"] == [{"name": "age", "old": "int64", "new": "float64"}]
    assert doc["profile"]["age"]["missing"] == [0.0, 0.2]


def test_diff_same_content(datasets: Datasets) -> None:
    frame = pd.DataFrame({"x": [1, 2]})
    datasets.add(frame, "a")
    datasets.add(frame, "b")
    diff = datasets.diff("a", "b@1")
    assert diff.same_content and not diff
    assert str(diff) == f"a@1 → b@1: same content ({diff.digests[0][:12]})"
    assert diff.profile == {} and diff.added == []


def test_diff_folders_lists_files(datasets: Datasets, work: Path) -> None:
    folder = work / "docs"
    folder.mkdir()
    (folder / "keep.txt").write_text("same")
    (folder / "edit.txt").write_text("v1")
    (folder / "gone.txt").write_text("bye")
    datasets.add(folder)
    (folder / "edit.txt").write_text("v2")
    (folder / "gone.txt").unlink()
    (folder / "new.txt").write_text("hi")
    datasets.add(folder)
    diff = datasets.diff("docs@1", "docs@2")
    assert diff.files == {"added": ["new.txt"], "removed": ["gone.txt"], "changed": ["edit.txt"]}
    assert "  files added: new.txt" in str(diff).splitlines()
