"""``jupyter-mlops gc`` and ``collect_garbage``: only unreferenced, old-enough objects go."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
from sklearn.linear_model import LogisticRegression

import jupyter_mlops as mlops
from jupyter_mlops.services.gc import collect_garbage, referenced_digests
from jupyter_mlops.services.verify import verify_store


def _everything(store, root: Path) -> None:
    """One record of every kind that points into the object store."""
    (root / "data" / "images").mkdir(parents=True)
    (root / "data" / "churn.csv").write_text("a,b\n1,2\n3,4\n")
    (root / "data" / "images" / "one.txt").write_text("one")
    (root / "data" / "images" / "two.txt").write_text("two")
    mlops.data.add(str(root / "data" / "churn.csv"), "churn", store=store)
    mlops.data.add(str(root / "data" / "images"), "images", store=store)
    mlops.data.add(pd.DataFrame({"x": [1, 2, 3]}), "frame", store=store)
    with mlops.start_run("train", experiment="gc", store=store) as run:
        run.log_artifact(b"a report", "report.txt")
        run.log_dataset(pd.DataFrame({"y": [5, 6]}), "train")
        run.log_model(LogisticRegression().fit([[0], [1]], [0, 1]), "model")
    mlops.models.register(run.id, "churn", store=store)


def test_referenced_objects_of_every_kind_survive_and_the_orphan_goes(project, store, cli) -> None:
    _everything(store, project)
    orphan = store.objects.put_bytes(b"nobody points at me").digest
    kept = set(store.objects.iter_digests()) - {orphan}
    assert len(kept) >= 7  # csv, 2 folder files, manifest, frame, artifact, model

    dry = cli("gc", "--older-than", "0", "--format", "json")
    assert dry.code == 0, dry.err
    assert json.loads(dry.out)["orphans"] == [orphan]
    assert store.objects.exists(orphan)  # a dry run deletes nothing

    text = cli("gc", "--older-than", "0")
    assert "1 unreferenced object (19 B) would be deleted; run with --yes" in text.out

    done = cli("gc", "--yes", "--older-than", "0")
    assert done.code == 0 and done.out.startswith("deleted 1 unreferenced object (19 B).")
    assert set(store.objects.iter_digests()) == kept
    assert verify_store(store).ok  # every record still resolves
    assert cli("gc", "--yes", "--older-than", "0").out == "no unreferenced objects to delete.\n"


def test_folder_members_are_referenced_through_the_manifest(project, store) -> None:
    (project / "imgs").mkdir()
    (project / "imgs" / "a.txt").write_text("a")
    version = mlops.data.add(str(project / "imgs"), "imgs", store=store)
    referenced = referenced_digests(store)
    assert version.digest in referenced
    assert len(referenced) == 2  # the manifest and its one file


def test_a_young_orphan_survives(project, store, cli) -> None:
    orphan = store.objects.put_bytes(b"just written").digest
    result = cli("gc", "--yes")  # default: keep anything younger than 24 h
    assert result.code == 0
    assert "kept 1 unreferenced object(s) younger than 24 h" in result.out
    assert store.objects.exists(orphan)
    # A day later it is old enough.
    report = collect_garbage(store, delete=True, now=lambda: time.time() + 25 * 3600)
    assert list(report.orphans) == [orphan] and not store.objects.exists(orphan)


def test_bad_older_than_is_exit_2(project, cli) -> None:
    result = cli("gc", "--older-than", "-1")
    assert result.code == 2 and "zero or more" in result.err
