"""``models export``: the Python API, ``%mlops model export`` and the CLI's JSON write the same
folder (exports are files, not a REST answer: there is no route)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sklearn.dummy import DummyClassifier

import jupyter_mlops as mlops
from tests.parity.conftest import Faces


def _contents(folder: Path) -> dict[str, str]:
    """The export's text files by path (the embedded store's bytes differ by time written)."""
    return {
        str(p.relative_to(folder)): p.read_text()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.suffix not in (".db", ".joblib", ".bin") and "objects" not in p.parts
        and p.name != "MLmodel"  # holds a fresh model_uuid
    }  # fmt: skip


@pytest.mark.parametrize("format", ["container", "kserve", "mlflow"])
def test_every_face_exports_the_same_folder(faces: Faces, tmp_path: Path, format: str) -> None:
    name = f"p-export-{format}"
    with mlops.start_run(experiment="parity-export", store=faces.store) as run:
        run.log_model(DummyClassifier().fit([[0], [1]], [0, 1]), "model")
    version = mlops.models.register(run.id, name, store=faces.store).version
    mlops.models.promote(name, version, to="production", store=faces.store, checks=["version >= 1"])

    api = mlops.models.export(f"models:/{name}@production", format, tmp_path / "api",
                              store=faces.store)  # fmt: skip
    ran = faces.magic(f"model export {name}@production --format {format} --out {tmp_path}/magic")
    result = faces.cli(
        "models", "export", f"{name}@production", "--format", format,
        "--out", str(tmp_path / "cli"), "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    record = json.loads(result.out)

    assert (record["model_name"], record["version"], record["stage"]) == (
        api.name, api.version, api.stage,
    )  # fmt: skip
    assert record["files"] == api.files
    assert f"mlops: exported models:/{name}/{version} (production) as {format}" in ran.stdout
    assert f"({len(api.files)} files)" in ran.stdout
    expected = _contents(tmp_path / "api")
    assert _contents(tmp_path / "magic") == expected == _contents(tmp_path / "cli")
