import math
import os
import stat

import pytest
from sklearn.linear_model import LogisticRegression

import jupyter_mlops as mlops
from jupyter_mlops import models
from jupyter_mlops.errors import (
    ArtifactIntegrityError,
    MlopsUsageError,
    NotFoundError,
    UntrustedArtifactError,
)
from jupyter_mlops.store import runs as q

DIGEST = "ab" * 32


def test_register_from_run_writes_a_model_card(store, make_run, add_dataset_version, link_dataset):
    run_id = make_run(
        C=0.5,
        metrics={"roc_auc": 0.91, "accuracy": 0.85},
        inputs=[
            {"role": "evaluation", "kind": "file", "source": "data/test.csv", "digest": "cd" * 32}
        ],
    )
    train = add_dataset_version("churn-train", 1, DIGEST)
    link_dataset(run_id, train, "training")

    mv = models.register(
        run_id, "churn", description="baseline", tags={"owner": "ana"}, store=store
    )

    record = q.load_run(store, run_id)
    assert (mv.name, mv.version, mv.uri) == ("churn", 1, "models:/churn/1")
    assert mv.run_id == run_id
    assert mv.digest == record.models[0].digest
    assert (mv.flavor, mv.format) == ("sklearn", "skops")
    assert mv.class_name.endswith("LogisticRegression")
    assert mv.signature == {"type": "array", "shape": [None, 5], "dtype": "float64"}
    assert mv.tags == {"owner": "ana"}
    assert mv.stages == []
    card = mv.card
    assert card["run"]["id"] == run_id
    assert card["params"] == {"C": "0.5"}
    assert card["metrics"] == {"accuracy": 0.85, "roc_auc": 0.91}
    assert card["model"]["digest"] == mv.digest
    assert card["datasets"] == [
        {
            "ref": "dataset:churn-train@1",
            "dataset": "churn-train",
            "version": 1,
            "digest": DIGEST,
            "role": "training",
            "direction": "input",
            "rows": 200,
        }
    ]
    assert card["inputs"] == [
        {
            "role": "evaluation",
            "kind": "file",
            "source": "data/test.csv",
            "digest": "cd" * 32,
            "size": None,
        }
    ]
    assert set(card["code"]) == {
        "notebook",
        "notebook_digest",
        "git_commit",
        "git_branch",
        "git_dirty",
    }
    assert card["code"]["git_commit"] == record.git_commit
    assert "churn-train@1" in str(mv)
    assert "models:/churn/1" in mv._repr_html_()


def test_versions_count_up_and_nan_metrics_are_null(store, make_run):
    first = models.register(make_run(), "churn", store=store)
    second = models.register(make_run(metrics={"loss": math.nan}), "churn", store=store)
    assert (first.version, second.version) == (1, 2)
    assert second.metrics == {"loss": None}
    assert models.get("churn", store=store).version == 2
    assert models.get("models:/churn/1", store=store).version == 1


def test_register_accepts_a_run_object_and_short_id(store, data):
    X, y = data
    with mlops.start_run(store=store) as run:
        run.log_model(LogisticRegression().fit(X, y))
        run.log_metric("roc_auc", 0.8)
        mv = models.register(run, "inside", store=store)  # still running: flushed first
    assert mv.metrics == {"roc_auc": 0.8}
    assert models.register(run.id[:8], "inside", store=store).version == 2


def test_register_by_id_of_a_run_in_progress_sees_its_latest_metrics(store, data):
    # As a retrain notebook does: log, then register by the run's id and gate on the metric.
    X, y = data
    with mlops.start_run(store=store) as run:
        run.log_metric("accuracy", 0.9)
        run.log_model(LogisticRegression().fit(X, y))
        mv = models.register(run.id, "by-id", store=store)
        assert mv.metrics == {"accuracy": 0.9}
        event = models.promote(
            "by-id", mv.version, to="production", checks=["metrics.accuracy >= 0.8"], store=store
        )
        assert event.outcome == "promoted"


def test_register_an_estimator_logs_it_into_a_new_run(store, data):
    X, y = data
    mv = models.register(LogisticRegression().fit(X, y), "est", input_example=X[:2], store=store)
    record = q.load_run(store, mv.run_id)
    assert record.status == "finished"
    assert [m.name for m in record.models] == ["model"]
    assert record.tags["mlops.source"] == "models.register"
    assert mv.signature is not None


def test_register_an_estimator_uses_the_active_run(store, data):
    X, y = data
    with mlops.start_run(store=store) as run:
        mv = models.register(LogisticRegression().fit(X, y), "est", model="clf", store=store)
    assert mv.run_id == run.id
    assert mv.card["model"]["name"] == "clf"


def test_several_logged_models_need_a_choice(store, make_run):
    run_id = make_run(models=("a", "b"))
    with pytest.raises(MlopsUsageError, match=r"logged 2 models \(a, b\); choose one with model="):
        models.register(run_id, "churn", store=store)
    with pytest.raises(NotFoundError, match="logged no model 'c'; it logged: a, b"):
        models.register(run_id, "churn", model="c", store=store)
    assert models.register(run_id, "churn", model="b", store=store).card["model"]["name"] == "b"


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda s, r: models.register(r, "bad name", store=s), MlopsUsageError, "model name"),
        (lambda s, r: models.register("nope", "churn", store=s), NotFoundError, "No run 'nope'"),
        (lambda s, r: models.register(42, "churn", store=s), MlopsUsageError, "not int"),
        (lambda s, r: models.get("other", store=s), NotFoundError, "No registered model 'other'"),
        (lambda s, r: models.get("churn", 7, store=s), NotFoundError, "no version 7 (versions"),
        (lambda s, r: models.get("churn", "x", store=s), MlopsUsageError, "positive integer"),
        (lambda s, r: models.get("models:/churn@production", store=s), NotFoundError, "holds"),
        (lambda s, r: models.load("churn/1", store=s), MlopsUsageError, "Invalid model URI"),
        (lambda s, r: models.load("models:/churn/9", store=s), NotFoundError, "no version 9"),
        (lambda s, r: models.set_tag("churn", 1, "", "x", store=s), MlopsUsageError, "tag name"),
        (lambda s, r: models.list_versions("nope", store=s), NotFoundError, "No registered"),
    ],
)
def test_bad_input_is_one_clear_line(store, make_run, call, error, message):
    run_id = make_run()
    models.register(run_id, "churn", store=store)
    with pytest.raises(error) as info:
        call(store, run_id)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_run_without_a_model(store):
    with mlops.start_run(store=store) as run:
        run.log_metric("x", 1)
    with pytest.raises(MlopsUsageError, match="logged no model"):
        models.register(run.id, "churn", store=store)


def test_list_models_versions_and_tags(store, make_run):
    models.register(make_run(metrics={"roc_auc": 0.8}), "churn", store=store)
    models.register(make_run(metrics={"roc_auc": 0.9}), "churn", store=store)
    models.register(make_run(), "fraud", store=store)
    models.promote("churn", 1, to="production", store=store, checks=["version >= 1"])
    models.set_tag("churn", 2, "reviewed", "yes", store=store)

    listing = models.list(store=store)
    assert list(listing["name"]) == ["churn", "fraud"]
    assert list(listing["versions"]) == [2, 1]
    assert list(listing["latest_version"]) == [2, 1]
    assert list(listing["stages"]) == ["production=v1", ""]

    versions = models.list_versions("churn", store=store)
    assert list(versions["version"]) == [2, 1]
    assert list(versions["stages"]) == ["", "production"]
    assert list(versions["metrics.roc_auc"]) == [0.9, 0.8]

    assert models.get("churn", 2, store=store).tags == {"reviewed": "yes"}
    models.delete_tag("churn", 2, "reviewed", store=store)
    assert models.get("churn", 2, store=store).tags == {}
    assert models.get("churn", 1, store=store).stages == ["production"]


def test_load_by_version_stage_and_latest(store, make_run, data):
    X, _ = data
    models.register(make_run(C=0.1), "churn", store=store)
    models.register(make_run(C=2.0), "churn", store=store)
    models.promote("churn", 1, to="production", store=store, checks=["version >= 1"])

    assert models.load("models:/churn/1", store=store).C == 0.1
    assert models.load("models:/churn@production", store=store).C == 0.1
    latest = models.load("models:/churn", store=store)
    assert latest.C == 2.0
    assert latest.predict(X[:3]).shape == (3,)


def _object_path(store, digest):
    return store.objects.local_path(digest)


def test_corrupt_artifact_fails_to_load_naming_the_digest(store, make_run):
    mv = models.register(make_run(), "churn", store=store)
    path = _object_path(store, mv.digest)
    os.chmod(path, stat.S_IWUSR | stat.S_IRUSR)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactIntegrityError) as info:
        models.load("models:/churn/1", store=store)
    assert info.value.digest == mv.digest
    assert f"models:/churn/1: its artifact {mv.digest} is corrupt" in str(info.value)
    assert models.affected_model_versions(store, [mv.digest, DIGEST]) == ["models:/churn/1"]


def test_missing_artifact_fails_to_load_naming_the_digest(store, make_run):
    mv = models.register(make_run(), "churn", store=store)
    models.register(mv.run_id, "other", store=store)  # the same object backs two versions
    store.objects.delete(mv.digest)
    with pytest.raises(NotFoundError) as info:
        models.load("models:/churn@production".replace("@production", "/1"), store=store)
    assert info.value.digest == mv.digest
    assert f"its artifact {mv.digest} is missing" in str(info.value)
    assert models.affected_model_versions(store, {mv.digest}) == [
        "models:/churn/1",
        "models:/other/1",
    ]
    with pytest.raises(NotFoundError, match=f"points at object {mv.digest}"):
        models.register(mv.run_id, "churn", store=store)


class NotAnEstimator:
    def __init__(self, value):
        self.value = value


def test_pickle_artifact_loads_only_when_trusted(store):
    with mlops.start_run(store=store) as run:
        run.log_model(NotAnEstimator(3))
    mv = models.register(run.id, "plain", store=store)
    assert mv.format == "pickle"
    with pytest.raises(UntrustedArtifactError, match="pickle"):
        models.load("models:/plain/1", store=store)
    assert models.load("models:/plain/1", trusted=True, store=store).value == 3


def test_affected_model_versions_with_nothing_affected(store):
    assert models.affected_model_versions(store, []) == []
    assert models.affected_model_versions(store, [DIGEST]) == []
