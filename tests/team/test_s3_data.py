"""Dataset versions and models kept on a real S3-compatible server (moto)."""

from __future__ import annotations

import stat
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import jupyter_mlops as mlops
import jupyter_mlops.data as data
from jupyter_mlops import models
from jupyter_mlops.errors import ArtifactIntegrityError
from jupyter_mlops.store import Store
from tests.team._s3 import MotoServer


def object_count(server: MotoServer, uri: str) -> int:
    return len([k for k in server.filesystem().find(uri.removeprefix("s3://")) if "/tmp/" not in k])


def test_a_file_version_is_stored_on_s3_and_checked_out_verified(
    s3: MotoServer, s3_store: Store, s3_uri: str, store_dir: Path
) -> None:
    (store_dir / "churn.csv").write_text("age,churned\n31,0\n45,1\n")

    version = data.add(store_dir / "churn.csv")
    again = data.add(store_dir / "churn.csv")

    assert (version.ref, again.ref) == ("churn@1", "churn@1")
    assert object_count(s3, s3_uri) == 1
    assert s3.filesystem().cat(s3_store.objects.path_for(version.digest)) == (
        b"age,churned\n31,0\n45,1\n"
    )
    out = data.checkout("churn@1", store_dir / "out")
    assert out.read_text() == "age,churned\n31,0\n45,1\n"
    assert stat.S_IMODE(out.stat().st_mode) & stat.S_IWUSR
    served = data.get("churn").path()  # a read-only local copy, downloaded once
    assert served.read_text() == "age,churned\n31,0\n45,1\n"
    assert list(data.get("churn").to_pandas()["age"]) == [31, 45]


def test_a_folder_version_round_trips_through_s3(
    s3: MotoServer, s3_store: Store, s3_uri: str, store_dir: Path
) -> None:
    images = store_dir / "images"
    (images / "cats").mkdir(parents=True)
    (images / "cats" / "a.txt").write_text("meow")
    (images / "b.txt").write_text("woof")
    (images / "c.txt").write_text("woof")  # same bytes as b.txt: one object

    version = data.add(images)

    assert version.kind == "folder"
    assert object_count(s3, s3_uri) == 3  # two distinct files and the manifest
    out = data.checkout("images", store_dir / "copy")
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == ["b.txt", "c.txt", "cats/a.txt"]
    assert (out / "cats" / "a.txt").read_text() == "meow"
    assert (version.path() / "c.txt").read_text() == "woof"


def test_a_corrupted_dataset_object_is_refused_at_checkout(
    s3: MotoServer, s3_store: Store, store_dir: Path
) -> None:
    (store_dir / "t.csv").write_text("x\n1\n")
    version = data.add(store_dir / "t.csv")
    s3.filesystem().pipe(s3_store.objects.path_for(version.digest), b"x\n2\n")

    with pytest.raises(ArtifactIntegrityError, match=version.digest):
        data.checkout("t", store_dir / "out")

    assert not (store_dir / "out" / "t.csv").exists(), "nothing half-written"


def test_a_model_is_logged_registered_and_loaded_from_s3(
    s3: MotoServer, s3_store: Store, s3_uri: str
) -> None:
    X = np.array([[0.0, 1.0], [1.0, 0.0], [0.9, 0.2], [0.1, 0.8]])
    y = np.array([0, 1, 1, 0])
    with mlops.start_run("fit") as run:
        run.log_model(LogisticRegression().fit(X, y), "clf", input_example=X[:2])

    version = models.register(run.id, "churn")
    loaded = models.load("models:/churn/1")

    assert version.uri == "models:/churn/1"
    assert s3.filesystem().exists(s3_store.objects.path_for(version.digest))
    assert list(loaded.predict(X)) == [0, 1, 1, 0]

    s3.filesystem().pipe(s3_store.objects.path_for(version.digest), b"not a model")
    with pytest.raises(ArtifactIntegrityError, match="Cannot load models:/churn/1"):
        models.load("models:/churn/1")
