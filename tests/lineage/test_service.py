"""``services.lineage.lineage``: the graph as the record every face shows."""

from typing import get_args

import pytest

from jupyter_mlops.errors import MlopsUsageError, NotFoundError
from jupyter_mlops.lineage import NodeKind
from jupyter_mlops.lineage import lineage as trace
from jupyter_mlops.lineage.render import edge_frame, tree_html, tree_text
from jupyter_mlops.services.lineage import lineage
from jupyter_mlops.services.schema import LineageGraph, LineageKind

from .graphs import FRAME, add_version, build_graph


def triples(edges):
    return [(e.source, e.target, e.relation) for e in edges]


def test_the_record_holds_the_same_graph_with_a_link_for_each_node(store, triggered):
    record = lineage(store, "models:/churn@production")
    graph = trace("models:/churn/1", store=store)
    assert isinstance(record, LineageGraph)
    assert record.root == "models:/churn/1"
    assert [n.id for n in record.nodes] == list(graph.nodes)
    assert [(n.kind, n.label, n.attrs) for n in record.nodes] == [
        (n.kind, n.label, n.attrs) for n in graph.nodes.values()
    ]
    assert triples(record.edges) == triples(graph.edges)
    assert record.truncated is False
    train = triggered["train"]
    links = {n.id: n.link for n in record.nodes}
    assert links["models:/churn/1"] == "models/churn/versions/1"
    assert links[f"run:{train}"] == f"runs/{train}"
    assert links["dataset:churn-train@1"] == "datasets/churn-train/1"
    assert links["promotion:2"] == "models/churn/promotions"
    assert links[f"data:{FRAME}"] is None
    pid = triggered["pipeline_run"]
    around = lineage(store, f"pipeline_run:{pid}", depth=1)
    assert {n.id: n.link for n in around.nodes} == {
        f"pipeline_run:{pid}": f"pipelines/runs/{pid}",
        f"run:{train}": f"runs/{train}",
    }


def test_the_record_round_trips_as_json_with_every_field(store, graph):
    record = lineage(store, graph["train"], depth=1)
    text = record.model_dump_json()
    assert LineageGraph.model_validate_json(text) == record
    assert set(record.model_dump()) == {"root", "nodes", "edges", "truncated"}
    assert set(record.model_dump()["nodes"][0]) == {"id", "kind", "label", "link", "attrs"}


def test_a_face_draws_the_record_as_the_python_api_prints_the_graph(store, graph):
    record = lineage(store, "dataset:churn-raw@1")
    printed = trace("dataset:churn-raw@1", store=store)
    view = record.root, record.nodes, record.edges
    assert tree_text(*view, truncated=record.truncated) == str(printed)
    assert tree_html(*view) == printed._repr_html_()
    assert edge_frame(record.nodes, record.edges).equals(printed.to_frame())


def test_a_deleted_producer_is_a_node_without_a_link(store):
    add_version(store, "orphan", "ab" * 32, run_id="0123456789abcdef" * 2)
    record = lineage(store, "dataset:orphan@1")
    run = next(n for n in record.nodes if n.kind == "run")
    assert run.label == "run 01234567 (deleted)"
    assert run.link is None


@pytest.mark.parametrize(
    ("ref", "error", "message"),
    [
        ("models:/churn/9", NotFoundError, "Model 'churn' has no version 9"),
        ("dataset:churn-raw@x", MlopsUsageError, "expected dataset:NAME@VERSION"),
        ("  ", MlopsUsageError, "Give what to trace"),
    ],
)
def test_bad_references_raise_as_the_python_api_does(store, graph, ref, error, message):
    with pytest.raises(error, match=message):
        lineage(store, ref)


def test_the_wire_kinds_are_the_node_kinds():
    assert set(get_args(LineageKind)) == set(get_args(NodeKind))


@pytest.fixture
def backend_store(make_store):
    """A fresh store on each backend (SQLite and PostgreSQL)."""
    return make_store()


def test_the_same_answer_on_every_backend(backend_store):
    ids = build_graph(backend_store)
    record = lineage(backend_store, "models:/churn@production")
    prep, train = f"run:{ids['prep']}", f"run:{ids['train']}"
    assert set(triples(record.edges)) == {
        (train, "models:/churn/1", "registered"),
        ("dataset:churn-train@1", train, "training"),
        ("dataset:churn-test@1", train, "evaluation"),
        (f"data:{FRAME}", train, "training"),
        (prep, "dataset:churn-train@1", "produced"),
        (prep, "dataset:churn-test@1", "product"),
        ("dataset:churn-raw@1", prep, "source"),
        ("models:/churn/1", "promotion:1", "promoted"),
        ("models:/churn/1", "promotion:2", "promoted"),
    }
    model = next(n for n in record.nodes if n.id == "models:/churn/1")
    assert model.attrs["stages"] == ["production", "staging"]
    assert model.label == "models:/churn/1 LogisticRegression [production, staging]"
