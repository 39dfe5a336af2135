"""Unmodified MLflow client code pointed at ``jupyter-mlops server`` logs into our store."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import requests

import jupyter_mlops as mlops
from jupyter_mlops.store import Store, open_store
from tests.interop.mlflow_server import Served, start_server

mlflow = pytest.importorskip("mlflow")
from mlflow import MlflowClient  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402

# MLflow's client warns about its own internals; the suite turns warnings into errors.
pytestmark = pytest.mark.filterwarnings(r"ignore:::mlflow(\.|$)")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("mlflow-rest")
    # MLflow's client cannot pass checks: a team that moves production by alias sets its
    # policy (the stage_checks every promotion to the stage must pass) in the project.
    (root / "pyproject.toml").write_text(
        '[tool.jupyter-mlops.stage_checks]\nproduction = ["version >= 1"]\n'
    )
    server = start_server(root)
    yield server
    log = server.stop()
    assert "Traceback" not in log, log


@pytest.fixture
def client(served: Served, monkeypatch: pytest.MonkeyPatch) -> Iterator[MlflowClient]:
    """MLflow's client set up as a user would: the two environment variables."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", served.url)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", served.token)
    monkeypatch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    mlflow.set_tracking_uri(served.url)
    yield MlflowClient()
    while mlflow.active_run() is not None:
        mlflow.end_run()


@pytest.fixture
def ours(served: Served) -> Iterator[Store]:
    """The server's store, read with our own API."""
    mlops_dir = served.root / ".mlops"
    store = open_store(f"sqlite:///{mlops_dir / 'mlops.db'}", str(mlops_dir / "objects"))
    yield store
    store.close()


def test_a_run_logged_with_mlflow_reads_back_through_mlflow_and_through_our_api(
    client: MlflowClient, ours: Store, tmp_path: Path
) -> None:
    mlflow.set_experiment("churn")
    note = tmp_path / "notes.txt"
    note.write_text("hello from mlflow")
    with mlflow.start_run(run_name="baseline") as run:
        mlflow.log_params({"C": 0.5, "kernel": "rbf"})
        for step in range(3):
            mlflow.log_metric("auc", 0.5 + step / 10, step=step)
        mlflow.set_tag("owner", "ana")
        mlflow.log_artifact(str(note), artifact_path="reports")
    with mlflow.start_run(run_name="weaker"):
        mlflow.log_metric("auc", 0.55)
    run_id = run.info.run_id

    got = client.get_run(run_id)
    assert got.info.status == "FINISHED" and got.info.run_name == "baseline"
    assert got.data.params == {"C": "0.5", "kernel": "rbf"}
    assert got.data.metrics == {"auc": 0.7}
    assert got.data.tags["owner"] == "ana" and got.data.tags["mlflow.runName"] == "baseline"
    history = client.get_metric_history(run_id, "auc")
    assert [(m.step, m.value) for m in history] == [(0, 0.5), (1, 0.6), (2, 0.7)]
    found = mlflow.search_runs(
        filter_string="metrics.auc > 0.6 and tags.owner = 'ana'", order_by=["metrics.auc DESC"]
    )
    assert list(found["run_id"]) == [run_id]
    both = mlflow.search_runs(order_by=["metrics.auc ASC"])
    assert list(both["tags.mlflow.runName"]) == ["weaker", "baseline"]
    by_name = mlflow.search_runs(filter_string="tags.mlflow.runName = 'baseline'")
    assert list(by_name["run_id"]) == [run_id]
    [listed] = client.list_artifacts(run_id, "reports")
    assert listed.path == "reports/notes.txt" and listed.file_size == len("hello from mlflow")
    local = mlflow.artifacts.download_artifacts(
        run_id=run_id, artifact_path="reports/notes.txt", dst_path=str(tmp_path / "dl")
    )
    assert Path(local).read_text() == "hello from mlflow"

    # The same run through our own API: same params, metrics, times and file.
    frame = mlops.search_runs(experiments=["churn"], store=ours, order_by=["name"])
    assert list(frame["name"]) == ["baseline", "weaker"]
    mine = mlops.get_run(run_id, store=ours)
    assert mine.status == "finished" and mine.params == {"C": "0.5", "kernel": "rbf"}
    assert mine.tags["owner"] == "ana"
    points = mlops.get_metric_history(run_id, "auc", store=ours)
    assert [(p.step, p.value) for p in points] == [(0, 0.5), (1, 0.6), (2, 0.7)]
    assert [round(p.timestamp * 1000) for p in points] == [m.timestamp for m in history]
    assert got.info.start_time == round(mine.start_time * 1000)
    [art] = mine.artifacts
    assert art.path == "reports/notes.txt"
    assert ours.objects.read_bytes(art.digest) == b"hello from mlflow"


def test_search_pages_through_every_run_once(client: MlflowClient) -> None:
    exp = mlflow.set_experiment("paged").experiment_id
    made = set()
    for i in range(5):
        made.add(client.create_run(exp, run_name=f"r{i}").info.run_id)
    seen: list[str] = []
    token = None
    while True:
        page = client.search_runs([exp], max_results=2, page_token=token)
        seen += [r.info.run_id for r in page]
        token = page.token
        if not token:
            break
    assert sorted(seen) == sorted(made)


def test_an_sklearn_model_registers_takes_an_alias_and_loads_by_it(
    client: MlflowClient, ours: Store
) -> None:
    from sklearn.linear_model import LogisticRegression

    mlflow.set_experiment("models")
    X = np.random.RandomState(0).rand(60, 3)
    y = (X[:, 0] + X[:, 1] > 1).astype(int)
    with mlflow.start_run():
        est = LogisticRegression().fit(X, y)
        info = mlflow.sklearn.log_model(est, name="model")
    version = mlflow.register_model(info.model_uri, "churn-model")
    client.set_registered_model_alias("churn-model", "champion", version.version)
    client.set_registered_model_alias("churn-model", "latest-good", version.version)

    aliases = client.get_registered_model("churn-model").aliases
    assert aliases == {"champion": "1", "latest-good": "1", "production": "1"}
    assert client.get_model_version_by_alias("churn-model", "latest-good").version == "1"
    loaded = mlflow.pyfunc.load_model("models:/churn-model@champion")
    assert (loaded.predict(X) == est.predict(X)).all()

    # In our registry: version 1 holds production (champion's stage), loads without pickle;
    # the promotion passed the project's policy and says so in the audit history.
    assert mlops.models.get("churn-model", 1, store=ours).stages == ["production"]
    (event,) = mlops.models.events("churn-model", stage="production", store=ours)
    assert [check.expression for check in event.checks] == ["version >= 1"]
    ours_loaded = mlops.models.load("models:/churn-model@production", store=ours)
    assert (ours_loaded.predict(X) == est.predict(X)).all()
    with pytest.raises(MlflowException) as refused:
        client.delete_registered_model_alias("churn-model", "champion")
    assert refused.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "only moved" in refused.value.message
    client.delete_registered_model_alias("churn-model", "latest-good")
    assert "latest-good" not in client.get_registered_model("churn-model").aliases


def test_mistakes_get_mlflow_error_codes(client: MlflowClient, served: Served) -> None:
    with pytest.raises(MlflowException) as unknown:
        client.get_run("0" * 32)
    assert unknown.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException) as bad_filter:
        mlflow.search_runs(experiment_ids=["1"], filter_string="metrics.auc >>> 1")
    assert bad_filter.value.error_code == "INVALID_PARAMETER_VALUE"
    answer = requests.post(
        f"{served.url}/api/2.0/mlflow/runs/search",
        json={"experiment_ids": ["1"], "filter": "metrics.auc >>> 1"},
        headers={"Authorization": f"Bearer {served.token}"},
        timeout=30,
    )
    assert answer.status_code == 400
    assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    exp = mlflow.set_experiment("mistakes").experiment_id
    run = client.create_run(exp)
    client.log_param(run.info.run_id, "C", "1")
    with pytest.raises(MlflowException, match="Changing param values is not allowed"):
        client.log_param(run.info.run_id, "C", "2")
    with pytest.raises(MlflowException) as taken:
        client.create_experiment("mistakes")
    assert taken.value.error_code == "RESOURCE_ALREADY_EXISTS"


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic dXNlcjpwdw=="])
def test_a_request_without_the_token_is_refused_401(served: Served, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    for method, path in (
        ("GET", "api/2.0/mlflow/experiments/get-by-name?experiment_name=churn"),
        ("POST", "api/2.0/mlflow/runs/search"),
        ("GET", "api/2.0/mlflow-artifacts/artifacts?path=1"),
        ("PUT", "api/2.0/mlflow-artifacts/artifacts/1/x/artifacts/f.txt"),
    ):
        answer = requests.request(
            method, f"{served.url}/{path}", headers=headers, json={}, timeout=30
        )
        assert answer.status_code == 401, (method, path)
        assert answer.json()["error_code"] == "UNAUTHENTICATED"


def test_the_client_without_the_token_raises_unauthenticated(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "wrong")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    with pytest.raises(MlflowException) as refused:
        MlflowClient(tracking_uri=served.url).search_experiments()
    assert refused.value.error_code == "UNAUTHENTICATED"


def test_nan_metrics_and_batches_round_trip(client: MlflowClient) -> None:
    exp = mlflow.set_experiment("batches").experiment_id
    run_id = client.create_run(exp).info.run_id
    metrics = [
        mlflow.entities.Metric("loss", float(i), 1_700_000_000_000 + i, i) for i in range(1000)
    ]
    client.log_batch(run_id, metrics=metrics)
    client.log_metric(run_id, "odd", float("nan"))
    got = client.get_run(run_id).data.metrics
    assert got["loss"] == 999.0 and math.isnan(got["odd"])
    assert len(client.get_metric_history(run_id, "loss")) == 1000


def test_delete_and_restore_follow_run_view_type(client: MlflowClient, ours: Store) -> None:
    from mlflow.entities import ViewType

    exp = mlflow.set_experiment("lifecycle").experiment_id
    keep = client.create_run(exp, run_name="keep").info.run_id
    gone = client.create_run(exp, run_name="gone").info.run_id

    client.delete_run(gone)

    def names(view: int) -> list[str]:
        return sorted(r.info.run_name for r in client.search_runs([exp], run_view_type=view))

    assert names(ViewType.ACTIVE_ONLY) == ["keep"]
    assert names(ViewType.DELETED_ONLY) == ["gone"]
    assert names(ViewType.ALL) == ["gone", "keep"]
    assert client.get_run(gone).info.lifecycle_stage == "deleted"
    assert list(mlops.search_runs(experiments=["lifecycle"], store=ours)["name"]) == ["keep"]
    with pytest.raises(MlflowException) as refused:
        client.log_metric(gone, "auc", 0.5)
    assert refused.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "restore it first" in refused.value.message

    client.restore_run(gone)
    assert names(ViewType.ACTIVE_ONLY) == ["gone", "keep"]
    assert client.get_run(gone).info.lifecycle_stage == "active"
    assert client.get_run(keep).info.lifecycle_stage == "active"


def test_request_bodies_are_read_as_json_reads_them(client: MlflowClient, served: Served) -> None:
    exp = mlflow.set_experiment("bodies").experiment_id
    run_id = client.create_run(exp).info.run_id
    url = f"{served.url}/api/2.0/mlflow/runs/log-batch"
    headers = {"Authorization": f"Bearer {served.token}", "Content-Type": "application/json"}

    def post(body: bytes) -> requests.Response:
        return requests.post(url, data=body, headers=headers, timeout=30)

    for key, value, encoding in (
        ("bare-nan", "NaN", "utf-8"),  # Python's json writes NaN bare
        ("big", "1e400", "utf-8"),
        ("bom", "1", "utf-8-sig"),  # a byte-order mark first
        ("wide", "2", "utf-16"),
    ):
        point = f'{{"key": "{key}", "value": {value}, "timestamp": 1700000000000}}'
        body = f'{{"run_id": "{run_id}", "metrics": [{point}]}}'
        assert post(body.encode(encoding)).status_code == 200, key
    got = client.get_run(run_id).data.metrics
    assert math.isnan(got["bare-nan"]) and got["big"] == math.inf
    assert (got["bom"], got["wide"]) == (1.0, 2.0)
    for bad in (b"{", b'{"run_id": "x",}', b"[1]", b'{"a": 1} x', b"\xff"):
        answer = post(bad)
        assert answer.status_code == 400, bad
        assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE", bad


def test_experiment_tags_are_kept_searched_and_deleted(client: MlflowClient) -> None:
    eid = client.create_experiment("tagged-exp", tags={"team": "vision", "stage": "dev"})
    mlflow.set_experiment("tagged-exp")
    mlflow.set_experiment_tag("mlflow.note.content", "Experiment description")
    assert client.get_experiment(eid).tags == {
        "team": "vision",
        "stage": "dev",
        "mlflow.note.content": "Experiment description",
    }
    found = client.search_experiments(filter_string="tags.team = 'vision' AND name LIKE 'tagged%'")
    assert [e.name for e in found] == ["tagged-exp"]
    assert client.search_experiments(filter_string="tags.team = 'audio'") == []
    client.delete_experiment_tag(eid, "stage")
    assert "stage" not in client.get_experiment_by_name("tagged-exp").tags
    with pytest.raises(MlflowException) as gone:
        client.delete_experiment_tag(eid, "stage")
    assert gone.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_registered_model_tags_are_kept_and_a_model_search_with_a_filter_works(
    client: MlflowClient,
) -> None:
    # MLflow 3's client adds `AND tag.`mlflow.prompt.is_prompt` != 'true'` to a model search's
    # filter: a model without that tag must still be found.
    client.create_registered_model("tagged-model", tags={"owner": "ana"}, description="d")
    client.set_registered_model_tag("tagged-model", "task", "churn")
    assert client.get_registered_model("tagged-model").tags == {"owner": "ana", "task": "churn"}
    assert [m.name for m in client.search_registered_models("name = 'tagged-model'")] == [
        "tagged-model"
    ]
    by_tag = client.search_registered_models("tags.task = 'churn'")
    assert [m.name for m in by_tag] == ["tagged-model"]
    client.delete_registered_model_tag("tagged-model", "owner")
    assert client.get_registered_model("tagged-model").tags == {"task": "churn"}
    with pytest.raises(MlflowException) as refused:
        client.search_registered_models("tags.task > 'a'")
    assert refused.value.error_code == "INVALID_PARAMETER_VALUE"


def test_a_logged_dataset_input_reads_back_and_is_found_by_datasets_filters(
    client: MlflowClient,
) -> None:
    import pandas as pd

    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [0, 1, 0]})
    dataset = mlflow.data.from_pandas(frame, name="churn-train", targets="y")
    mlflow.set_experiment("with-datasets")
    with mlflow.start_run(run_name="used-data") as run:
        mlflow.log_input(dataset, context="training")
        mlflow.log_input(dataset, context="training")  # the same input again: kept once
    with mlflow.start_run(run_name="no-data"):
        pass
    got = client.get_run(run.info.run_id).inputs.dataset_inputs
    assert [(d.dataset.name, d.dataset.digest) for d in got] == [("churn-train", dataset.digest)]
    assert {t.key: t.value for t in got[0].tags} == {"mlflow.data.context": "training"}
    assert got[0].dataset.source_type == dataset.to_dict()["source_type"]
    assert got[0].dataset.schema == dataset.to_dict()["schema"]
    experiment = client.get_experiment_by_name("with-datasets").experiment_id
    for text in ("datasets.name = 'churn-train'", "datasets.context = 'training'",
                 f"datasets.digest = '{dataset.digest}'"):  # fmt: skip
        found = client.search_runs([experiment], text)
        assert [r.info.run_name for r in found] == ["used-data"], text
        assert found[0].inputs.dataset_inputs[0].dataset.name == "churn-train"
    assert [r.info.run_name for r in client.search_runs([experiment], "datasets.name IS NULL")] == [
        "no-data"
    ]
