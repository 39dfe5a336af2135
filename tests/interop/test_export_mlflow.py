"""``export mlflow``: MLflow -> import -> export -> a fresh MLflow store gives the same runs,
registered models, aliases and predictions; a second export adds nothing."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

import jupyter_mlops as mlops
from jupyter_mlops.store import Store
from tests.interop.conftest import T0, Source

pytestmark = pytest.mark.filterwarnings(r"ignore:::mlflow(\.|$)")


def _runs(client: Any) -> dict[str, Any]:
    """Every run of an MLflow store (deleted ones too), by name."""
    from mlflow.entities import ViewType

    out = {}
    for exp in client.search_experiments():
        for run in client.search_runs([exp.experiment_id], run_view_type=ViewType.ALL):
            out[run.info.run_name] = run
    return out


def _history(client: Any, run: Any) -> dict[str, list[tuple[int, int, str]]]:
    # NaN != NaN: values compared as text.
    return {
        key: sorted(
            (m.step, m.timestamp, repr(m.value))
            for m in client.get_metric_history(run.info.run_id, key)
        )
        for key in run.data.metrics
    }


def _same_run(src: Any, a: Any, dst: Any, b: Any, names: dict[str, str]) -> None:
    assert b.info.status == a.info.status
    assert (b.info.start_time, b.info.end_time) == (a.info.start_time, a.info.end_time)
    assert b.info.user_id == a.info.user_id
    assert b.info.lifecycle_stage == a.info.lifecycle_stage
    assert b.data.params == a.data.params
    theirs = {k: v for k, v in b.data.tags.items() if k != "jupyter_mlops.run_id"}
    mine = dict(a.data.tags)
    parent = mine.pop("mlflow.parentRunId", None)
    assert names.get(theirs.pop("mlflow.parentRunId", None) or "") == names.get(parent or "")
    assert theirs == mine
    assert _history(dst, b) == _history(src, a)


@pytest.fixture
def uris(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Restore MLflow's global tracking and registry URIs (and the variables MLflow sets
    with them) after a test sets them."""
    from mlflow.tracking._model_registry import utils as registry
    from mlflow.tracking._tracking_service import utils as tracking

    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    before = tracking._tracking_uri, registry._registry_uri
    yield
    tracking._tracking_uri, registry._registry_uri = before


def _predict(uri: str, model: str, X: Any) -> Any:
    import mlflow.pyfunc

    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return mlflow.pyfunc.load_model(model).predict(X)


def _registered(c: Any, src: Source, tmp_path: Path) -> tuple[Any, list[Any]]:
    import mlflow.sklearn

    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    fitted = [LogisticRegression(C=c).fit(X, y) for c in (0.1, 10.0)]
    for i, (run, model) in enumerate(zip((src.parent, src.child), fitted, strict=True)):
        folder = tmp_path / f"saved-{i}"
        mlflow.sklearn.save_model(model, str(folder), serialization_format="cloudpickle")
        c.log_artifacts(run, str(folder), "model")
    c.create_registered_model("churn-model", description="churn scorer", tags={"task": "churn"})
    for run in (src.parent, src.child):
        c.create_model_version("churn-model", f"runs:/{run}/model", run_id=run)
    c.set_registered_model_alias("churn-model", "champion", "2")
    c.set_registered_model_alias("churn-model", "shadow", "1")
    return X, fitted


def test_round_trip_gives_the_same_runs_models_aliases_and_predictions(
    store: Store,
    make_source: Callable[[str], Source],
    mlflow_client: Callable[[str], Any],
    tmp_path: Path,
    uris: None,
) -> None:
    src = make_source("sqlite")
    c = mlflow_client(src.uri)
    X, _ = _registered(c, src, tmp_path)
    exp = c.get_experiment_by_name("extra").experiment_id
    from mlflow.entities import Dataset, DatasetInput, InputTag

    train = Dataset("churn-train", "d1g3st", "local", '{"uri": "/data/train.csv"}', '{"x": 1}')
    c.log_inputs(src.parent, [DatasetInput(train, [InputTag("mlflow.data.context", "training")])])
    c.set_experiment_tag(exp, "mlflow.note.content", "extra runs")
    c.set_experiment_tag(exp, "team", "growth")
    gone = c.create_run(exp, run_name="gone", start_time=T0 + 5)
    c.log_param(gone.info.run_id, "k", "v")
    c.set_terminated(gone.info.run_id, "FINISHED", end_time=T0 + 50)
    c.delete_run(gone.info.run_id)
    imported = mlops.interop.import_mlflow(src.uri, store=store)
    assert imported.runs_imported == 5 and imported.runs_deleted == 1, imported.not_mapped
    assert imported.model_versions == 2, imported.not_mapped
    used = mlops.search_runs(store=store, filter="datasets.name = 'churn-train'")
    assert list(used["name"]) == ["baseline"]
    target = f"sqlite:///{tmp_path / 'out' / 'mlflow.db'}"
    (tmp_path / "out").mkdir()

    report = mlops.interop.export_mlflow(target, store=store)

    assert report.runs_exported == 5 and report.parents_linked == 0  # parent went first
    assert report.experiments_created == ["churn", "extra"]
    assert (report.model_versions, report.models_created) == (2, 1), report.not_mapped
    d = mlflow_client(target)
    before, after = _runs(c), _runs(d)
    assert sorted(after) == sorted(before)
    names = {r.info.run_id: n for n, r in before.items()} | {
        r.info.run_id: n for n, r in after.items()
    }
    for name, run in before.items():
        _same_run(c, run, d, after[name], names)
    assert after["still-going"].info.status == "RUNNING"
    assert after["gone"].info.lifecycle_stage == "deleted"
    assert after["baseline"].data.tags["jupyter_mlops.run_id"] == src.parent
    (note,) = d.list_artifacts(after["baseline"].info.run_id, "reports")
    assert note.path == "reports/notes.txt"

    (again_used,) = after["baseline"].inputs.dataset_inputs
    assert again_used.dataset.to_dictionary() == train.to_dictionary()
    assert [(t.key, t.value) for t in again_used.tags] == [("mlflow.data.context", "training")]
    extra = d.get_experiment_by_name("extra")
    assert extra.tags == {"mlflow.note.content": "extra runs", "team": "growth"}
    model = d.get_registered_model("churn-model")
    assert model.description == "churn scorer"
    assert model.tags == {"task": "churn"}
    assert all(not v.description for v in d.search_model_versions("name = 'churn-model'"))
    assert model.aliases == c.get_registered_model("churn-model").aliases  # champion, shadow
    for alias in ("champion", "shadow"):
        ours = _predict(target, f"models:/churn-model@{alias}", X)
        theirs = _predict(src.uri, f"models:/churn-model@{alias}", X)
        assert np.array_equal(ours, theirs)

    again = mlops.interop.export_mlflow(target, store=store)
    assert (again.runs_exported, again.runs_present) == (0, 5)
    assert (again.model_versions, again.aliases_set, again.models_created) == (0, 0, 0)
    assert again.experiments_merged == ["churn", "extra"]
    assert len(_runs(d)) == 5
    assert len(d.search_model_versions("name = 'churn-model'")) == 2


def test_runs_and_models_made_here_export_as_mlflow_runs_and_a_pyfunc_model(
    store: Store, tmp_path: Path, mlflow_client: Callable[[str], Any], uris: None
) -> None:
    X, y = make_classification(n_samples=50, n_features=4, random_state=1)
    with mlops.start_run(experiment="native", name="fit", store=store) as run:
        mlops.log_params({"C": 2.0})
        for step in range(4):
            mlops.log_metric("loss", 1.0 / (step + 1), step=step)
        fitted = LogisticRegression(C=2.0).fit(X, y)
    with mlops.start_run(experiment="native", name="child", parent=run.id, store=store):
        pass
    version = mlops.models.register(fitted, "native-model", store=store)
    mlops.models.promote(
        "native-model", version.version, to="production", checks=["version >= 1"], store=store
    )
    target = f"file:{tmp_path / 'mlruns'}"

    report = mlops.interop.export_mlflow(target, store=store)

    assert report.runs_exported >= 2 and report.aliases_set == 1
    d = mlflow_client(target)
    runs = _runs(d)
    fit = runs["fit"]
    assert fit.info.status == "FINISHED" and fit.data.params == {"C": "2.0"}
    assert fit.data.tags["jupyter_mlops.run_id"] == run.id
    history = d.get_metric_history(fit.info.run_id, "loss")
    assert [(m.step, m.value) for m in sorted(history, key=lambda m: m.step)] == [
        (s, 1.0 / (s + 1)) for s in range(4)
    ]
    mine = mlops.get_metric_history(run.id, "loss", store=store)
    assert sorted(m.timestamp for m in history) == [round(p.timestamp * 1000) for p in mine]
    assert fit.info.start_time == round(mlops.get_run(run.id, store=store).start_time * 1000)
    assert runs["child"].data.tags["mlflow.parentRunId"] == fit.info.run_id
    assert d.get_registered_model("native-model").aliases == {"production": "1"}
    predicted = _predict(target, "models:/native-model@production", X)
    assert np.array_equal(np.asarray(predicted), fitted.predict(X))
    assert not math.isnan(float(np.asarray(predicted).sum()))
