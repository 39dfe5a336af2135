"""``jupyter-mlops verify`` and the verify service behind it."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import insert

import jupyter_mlops as mlops
from jupyter_mlops.services.schema import ObjectOwner, ObjectProblem, VerifyReport
from jupyter_mlops.services.verify import verify_store
from jupyter_mlops.store import tables as t


@pytest.fixture
def corrupt(store):
    """Overwrite an object on disk, as bit rot or a stray edit would."""

    def overwrite(digest: str, data: bytes = b"rotten") -> None:
        path = store.objects.local_path(digest)
        path.chmod(0o644)  # objects are stored read-only
        path.write_bytes(data)

    return overwrite


def artifact_digest(store, run_id: str, path: str) -> str:
    with store.read() as conn:
        return (
            conn.execute(
                t.artifacts.select().where(
                    t.artifacts.c.run_id == run_id, t.artifacts.c.path == path
                )
            )
            .one()
            .digest
        )


def test_an_empty_store_is_clean(cli, project) -> None:
    result = cli("verify")

    assert (result.code, result.err) == (0, "")
    assert result.out == (
        f"Checked 0 objects (0 B) in {project / '.mlops' / 'objects'} and 0 referenced digests.\n"
        "✓ All objects match their digests and every referenced object is present.\n"
    )


def test_a_clean_store_exits_0(cli, make_run, project) -> None:
    make_run("first", artifacts={"a.txt": b"alpha", "b.txt": b"beta"})
    make_run("second", artifacts={"a.txt": b"alpha"})  # the same bytes: one object

    result = cli("verify")

    assert result.code == 0
    assert result.out.splitlines() == [
        f"Checked 2 objects (9 B) in {project / '.mlops' / 'objects'} and 2 referenced digests.",
        "✓ All objects match their digests and every referenced object is present.",
    ]


def test_a_corrupt_object_exits_1_naming_the_digest_and_who_uses_it(
    cli, make_run, store, corrupt
) -> None:
    first = make_run("first", artifacts={"data/a.txt": b"alpha", "b.txt": b"beta"})
    second = make_run("second", artifacts={"copy.txt": b"alpha"})
    digest = artifact_digest(store, first, "data/a.txt")
    corrupt(digest)

    result = cli("verify")

    assert result.code == 1
    assert result.out.splitlines()[1:] == [
        f"✗ corrupt: {digest}",
        f"    used by artifact 'data/a.txt' of run first ({first[:8]})",
        f"    used by artifact 'copy.txt' of run second ({second[:8]})",
        "✗ 1 corrupt, 0 missing: run `jupyter-mlops verify --remove-corrupt`, "
        "then re-run what produced them.",
    ]
    assert store.objects.exists(digest), "verify alone changes nothing"


def test_a_missing_object_is_reported_with_who_uses_it(cli, make_run, store) -> None:
    run_id = make_run("first", artifacts={"a.txt": b"alpha"})
    digest = artifact_digest(store, run_id, "a.txt")
    store.objects.delete(digest)

    result = cli("verify")

    assert result.code == 1
    assert result.out.splitlines()[1:] == [
        f"✗ missing: {digest}",
        f"    used by artifact 'a.txt' of run first ({run_id[:8]})",
        "✗ 0 corrupt, 1 missing: re-run what produced them to store them again.",
    ]


def test_remove_corrupt_deletes_the_object_and_still_exits_1(cli, make_run, store, corrupt) -> None:
    run_id = make_run("first", artifacts={"a.txt": b"alpha", "b.txt": b"beta"})
    digest = artifact_digest(store, run_id, "a.txt")
    corrupt(digest)

    removed = cli("verify", "--remove-corrupt")
    after = cli("verify")

    assert removed.code == 1
    assert f"✗ corrupt (removed): {digest}" in removed.out.splitlines()
    assert not store.objects.exists(digest)
    assert len(list(store.objects.iter_digests())) == 1
    assert after.code == 1
    assert after.out.splitlines()[1:3] == [
        f"✗ missing: {digest}",
        f"    used by artifact 'a.txt' of run first ({run_id[:8]})",
    ]


def test_models_and_model_versions_are_named(cli, make_run, store) -> None:
    with mlops.start_run("trainer", experiment="churn", store=store) as run:
        info = run.log_model({"weights": [0.5, 1.5]}, "churn-model")  # a pickled plain model
    now = time.time()
    with store.write() as conn:
        model_id = conn.execute(
            insert(t.registered_models).values(name="churn", created_at=now)
        ).inserted_primary_key[0]
        conn.execute(
            insert(t.model_versions).values(
                model_id=model_id,
                version=3,
                run_id=run.id,
                digest=info.digest,
                size=info.size,
                flavor="python",
                format="pickle",
                class_name="dict",
                card="{}",
                created_at=now,
            )
        )
    store.objects.delete(info.digest)

    result = cli("verify")

    assert result.code == 1
    assert result.out.splitlines()[1:5] == [
        f"✗ missing: {info.digest}",
        f"    used by artifact 'models/churn-model.pickle' of run trainer ({run.id[:8]})",
        f"    used by model 'churn-model' of run trainer ({run.id[:8]})",
        f"    used by model version churn v3 (run {run.id[:8]})",
    ]


def test_an_unused_corrupt_object_is_reported_too(cli, store, corrupt) -> None:
    digest = store.objects.put_bytes(b"orphan").digest
    corrupt(digest)

    result = cli("verify")

    assert result.code == 1
    assert result.out.splitlines()[1:3] == [
        f"✗ corrupt: {digest}",
        "    not used by any run, model or dataset",
    ]


def test_json_report(cli, make_run, store, corrupt) -> None:
    run_id = make_run("first", artifacts={"a.txt": b"alpha"})
    digest = artifact_digest(store, run_id, "a.txt")
    corrupt(digest)

    result = cli("verify", "--format", "json")

    report = json.loads(result.out)
    assert result.code == 1
    assert (report["ok"], report["objects_checked"], report["references_checked"]) == (False, 1, 1)
    [problem] = report["problems"]
    assert (problem["digest"], problem["problem"], problem["removed"]) == (digest, "corrupt", False)
    assert problem["refs"] == [
        {"kind": "artifact", "name": "a.txt", "run_id": run_id, "run_name": "first"}
    ]


def test_the_service_returns_a_report(make_run, store, corrupt) -> None:
    run_id = make_run("first", artifacts={"a.txt": b"alpha", "b.txt": b"beta"})
    bad = artifact_digest(store, run_id, "a.txt")
    corrupt(bad, b"xx")
    seen: list[int] = []

    report = verify_store(store, progress=seen.append)

    assert isinstance(report, VerifyReport)
    assert not report.ok
    assert (report.objects_checked, report.bytes_checked, report.references_checked) == (2, 6, 2)
    assert seen == [1, 2]
    assert report.missing == []
    [problem] = report.corrupt
    assert problem == ObjectProblem(
        digest=bad,
        problem="corrupt",
        detail=problem.detail,
        refs=[ObjectOwner(kind="artifact", name="a.txt", run_id=run_id, run_name="first")],
        removed=False,
    )
    assert bad in problem.detail


def test_json_is_the_services_record(cli, make_run, store, corrupt) -> None:
    run_id = make_run("first", artifacts={"a.txt": b"alpha"})
    corrupt(artifact_digest(store, run_id, "a.txt"))

    printed = json.loads(cli("verify", "--format", "json").out)

    assert printed == verify_store(store).model_dump(mode="json")
    assert set(printed) >= {"database", "foreign", "temporaries", "problems", "ok"}
