import importlib
import shutil
import time

import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sqlalchemy import insert

import jupyter_mlops as mlops
from jupyter_mlops import models
from jupyter_mlops.errors import MlopsUsageError, NotFoundError
from jupyter_mlops.lineage import Edge, Lineage, Node, lineage, register_expander
from jupyter_mlops.store import open_store
from jupyter_mlops.store import tables as t

# The module (``jupyter_mlops.lineage`` the attribute is the function once exported).
_lineage_module = importlib.import_module("jupyter_mlops.lineage")

RAW, TRAIN, TEST, FRAME = "aa" * 32, "bb" * 32, "cc" * 32, "dd" * 32


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lineage-template")
    open_store(f"sqlite:///{folder}/m.db", str(folder / "objects")).close()
    return folder / "m.db"


@pytest.fixture
def store(tmp_path, migrated):
    shutil.copyfile(migrated, tmp_path / "m.db")
    store = open_store(f"sqlite:///{tmp_path}/m.db", str(tmp_path / "objects"))
    yield store
    store.close()


def add_version(store, name, digest, run_id=None):
    now = time.time()
    with store.write() as conn:
        did = conn.execute(insert(t.datasets).values(name=name, created_at=now))
        result = conn.execute(
            insert(t.dataset_versions).values(
                dataset_id=did.inserted_primary_key[0],
                version=1,
                digest=digest,
                size=1,
                format="csv",
                kind="file",
                run_id=run_id,
                created_at=now,
            )
        )
        return result.inserted_primary_key[0]


def link(store, run_id, version_id, role, direction):
    with store.write() as conn:
        conn.execute(
            insert(t.run_dataset_links).values(
                run_id=run_id,
                version_id=version_id,
                role=role,
                direction=direction,
                created_at=time.time(),
            )
        )


@pytest.fixture
def graph(store):
    """raw -> prep run -> train, test -> train run -> models:/churn/1 -> staging, production."""
    raw = add_version(store, "churn-raw", RAW)
    with mlops.start_run("prep", store=store) as prep:
        pass
    link(store, prep.id, raw, "source", "input")
    train = add_version(store, "churn-train", TRAIN, run_id=prep.id)
    test = add_version(store, "churn-test", TEST)
    link(store, prep.id, test, "product", "output")
    X, y = make_classification(n_samples=50, n_features=4, random_state=0)
    with mlops.start_run("train", store=store) as run:
        run.log_model(LogisticRegression().fit(X, y))
        run.log_input(role="evaluation", kind="file", source="data/test.csv", digest=TEST)
        run.log_input(role="training", kind="frame", source="X_train", digest=FRAME)
    link(store, run.id, train, "training", "input")
    models.register(run.id, "churn", store=store)
    models.promote("churn", 1, to="staging", user="ana", store=store)
    models.promote("churn", 1, to="production", user="ana", store=store)
    return {"prep": prep.id, "train": run.id}


def edges(result):
    return {(e.source, e.target, e.relation) for e in result.edges}


def test_model_version_lineage_goes_up_to_raw_data_and_down_to_promotions(store, graph):
    result = lineage("models:/churn/1", store=store)
    prep, train = f"run:{graph['prep']}", f"run:{graph['train']}"
    assert result.root == "models:/churn/1"
    assert edges(result) == {
        (train, "models:/churn/1", "registered"),
        ("dataset:churn-train@1", train, "training"),
        ("dataset:churn-test@1", train, "evaluation"),  # a file read whose digest is a version
        (f"data:{FRAME}", train, "training"),
        (prep, "dataset:churn-train@1", "produced"),
        (prep, "dataset:churn-test@1", "product"),
        ("dataset:churn-raw@1", prep, "source"),
        ("models:/churn/1", "promotion:1", "promoted"),
        ("models:/churn/1", "promotion:2", "promoted"),
    }
    kinds = {n.id: n.kind for n in result.nodes.values()}
    assert kinds[f"data:{FRAME}"] == "data"
    assert kinds["promotion:2"] == "promotion"
    assert {n.id for n in result.downstream} == {"promotion:1", "promotion:2"}
    assert "dataset:churn-raw@1" in {n.id for n in result.upstream}
    assert result.nodes["models:/churn/1"].attrs["stages"] == ["production", "staging"]

    text = str(result)
    lines = text.splitlines()
    assert lines[0] == "models:/churn/1 LogisticRegression [production, staging]"
    assert lines[1] == "upstream:"
    assert lines[2].startswith(f"  <- [registered] run train ({graph['train'][:8]}) [finished]")
    assert "        <- [source] dataset:churn-raw@1 (aaaaaaaaaaaa)" in lines
    assert any(line.endswith("(see above)") for line in lines)  # prep is reached twice
    assert "downstream:" in lines
    assert any(
        line.startswith("  -> [promoted] production: none -> v1 by ana") and "(current)" in line
        for line in lines
    )
    html = result._repr_html_()
    assert html.count("<ul>") == html.count("</ul>") > 1
    assert "dataset:churn-raw@1" in html


def test_dataset_lineage_goes_down_to_models(store, graph):
    result = lineage("dataset:churn-raw@1", store=store)
    assert result.upstream == []
    down = {n.id for n in result.downstream}
    assert {
        f"run:{graph['prep']}",
        "dataset:churn-train@1",
        "dataset:churn-test@1",
        f"run:{graph['train']}",
        "models:/churn/1",
        "promotion:1",
        "promotion:2",
    } == down
    # Only descendants: the frame fingerprint fed the train run but is not downstream of raw.
    assert f"data:{FRAME}" not in result.nodes
    assert lineage("dataset:churn-test", store=store).root == "dataset:churn-test@1"


def test_run_lineage_by_short_id_name_or_object(store, graph):
    by_short = lineage(graph["train"][:8], store=store)
    assert by_short.root == f"run:{graph['train']}"
    assert lineage("train", store=store).root == by_short.root
    assert lineage(mlops.get_run(graph["train"], store=store), store=store).root == by_short.root
    assert lineage(models.get("churn", 1, store=store), store=store).root == "models:/churn/1"
    frame = by_short.to_frame()
    assert list(frame.columns) == ["source", "target", "relation", "source_kind", "target_kind"]
    assert len(frame) == len(by_short.edges)
    data = by_short.to_dict()
    assert data["root"] == by_short.root
    assert {n["id"] for n in data["nodes"]} == set(by_short.nodes)


def test_depth_limits_the_hops(store, graph):
    result = lineage("models:/churn@production", depth=1, store=store)
    assert {n.kind for n in result.upstream} == {"run"}
    assert {n.kind for n in result.downstream} == {"promotion"}


class FakeDatasetVersion:
    name = "churn-raw"
    version = 1


@pytest.mark.parametrize(
    ("ref", "error", "message"),
    [
        ("dataset:nope@1", NotFoundError, "No dataset 'nope'."),
        ("dataset:churn-raw@x", MlopsUsageError, "expected dataset:NAME@VERSION"),
        ("dataset:churn-raw@7", NotFoundError, "Dataset 'churn-raw' has no version 7."),
        ("models:churn/1", MlopsUsageError, "Invalid model URI 'models:churn/1'"),
        ("models:/churn/4", NotFoundError, "Model 'churn' has no version 4"),
        ("models:/churn@canary", NotFoundError, "holds stage 'canary'"),
        ("no-such-run", NotFoundError, "No run 'no-such-run'"),
        ("data:" + "ee" * 32, NotFoundError, "No run used data with digest"),
        ("  ", MlopsUsageError, "Give what to trace"),
        (3.5, MlopsUsageError, "Cannot trace a float"),
    ],
)
def test_bad_references(store, graph, ref, error, message):
    with pytest.raises(error) as info:
        lineage(ref, store=store)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_dataset_version_objects_and_bare_refs_are_accepted(store, graph):
    assert lineage(FakeDatasetVersion(), store=store).root == "dataset:churn-raw@1"
    assert lineage("churn-raw@1", store=store).root == "dataset:churn-raw@1"


def test_new_kinds_plug_in(store, graph, monkeypatch):
    registry = {key: list(value) for key, value in _lineage_module._EXPANDERS.items()}
    monkeypatch.setattr(_lineage_module, "_EXPANDERS", registry)

    def monitors(conn, node):
        monitor = Node(f"monitor:{node.attrs['name']}", "monitor", "drift monitor")
        yield Edge(node.id, monitor.id, "monitored by"), monitor

    register_expander("model_version", "downstream", monitors)
    result = lineage("models:/churn/1", store=store)
    assert ("models:/churn/1", "monitor:churn", "monitored by") in edges(result)
    assert isinstance(result, Lineage)
