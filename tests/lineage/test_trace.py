"""``mlops.lineage(x)``: tracing a graph up and down from a dataset version, run or model."""

import pytest

import jupyter_mlops as mlops
from jupyter_mlops import models
from jupyter_mlops.errors import MlopsUsageError, NotFoundError
from jupyter_mlops.lineage import EXPANDERS, Edge, Lineage, Node, lineage, walk
from jupyter_mlops.lineage.refs import resolve

from .graphs import FRAME


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


def test_new_kinds_plug_in(store, graph):
    def monitors(reads, node):
        monitor = Node(f"monitor:{node.attrs['name']}", "monitor", "drift monitor")
        yield Edge(node.id, monitor.id, "monitored by"), monitor

    key = ("model_version", "downstream")
    table = {**EXPANDERS, key: (*EXPANDERS[key], monitors)}
    result = walk(store, resolve(store, "models:/churn/1"), expanders=table)
    assert ("models:/churn/1", "monitor:churn", "monitored by") in edges(result)
    assert isinstance(result, Lineage)
    # The table itself is left as it was.
    assert "monitor:churn" not in lineage("models:/churn/1", store=store).nodes
