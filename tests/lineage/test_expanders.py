"""The expander table: every entry grows the graph, and monitor links need no monitor code."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import get_args

import pytest

from jupyter_mlops.errors import NotFoundError
from jupyter_mlops.lineage import EXPANDERS, NodeKind, lineage
from jupyter_mlops.lineage.refs import resolve
from jupyter_mlops.store.lineage import reading

from .graphs import FRAME

ENTRIES = [
    (kind, direction, i)
    for (kind, direction), found in EXPANDERS.items()
    for i in range(len(found))
]


def root_of(kind, ids):
    """A reference to a node of ``kind`` in the ``triggered`` graph."""
    return {
        "dataset_version": "dataset:churn-train@1",
        "data": f"data:{FRAME}",
        "run": f"run:{ids['train']}",
        "model_version": "models:/churn/1",
        "pipeline_run": f"pipeline_run:{ids['pipeline_run']}",
    }[kind]


@pytest.mark.parametrize(("kind", "direction", "index"), ENTRIES)
def test_every_expander_in_the_table_finds_neighbours(store, reproduced, kind, direction, index):
    root = resolve(store, root_of(kind, reproduced))
    assert root.kind == kind
    with reading(store) as reads:
        found = list(EXPANDERS[kind, direction][index](reads, root))
    assert found
    for edge, other in found:
        # Edges point the way data flows, whichever way the expander went.
        ends = (other.id, root.id) if direction == "upstream" else (root.id, other.id)
        assert (edge.source, edge.target) == ends


def test_every_kind_expands_but_promotions_which_end_the_graph():
    expanding = {kind for kind, _ in EXPANDERS}
    assert set(get_args(NodeKind)) - expanding == {"promotion"}
    assert expanding <= set(get_args(NodeKind))


def test_a_monitor_run_leads_to_the_pipeline_run_it_triggered_and_back(store, triggered):
    pid, train = triggered["pipeline_run"], f"run:{triggered['train']}"
    down = lineage(train, store=store)
    node = down.nodes[f"pipeline_run:{pid}"]
    assert node.kind == "pipeline_run" and node.attrs["trigger"] == "monitor"
    assert node.label.startswith("pipeline retrain ok ")
    assert (train, f"pipeline_run:{pid}", "triggered") in {
        (e.source, e.target, e.relation) for e in down.edges
    }
    up = lineage(f"pipeline_run:{pid}", store=store)
    assert up.root == f"pipeline_run:{pid}"
    assert train in {n.id for n in up.upstream}
    assert "dataset:churn-raw@1" in {n.id for n in up.upstream}  # through the train run
    assert up.downstream == []
    with pytest.raises(NotFoundError, match=r"^No pipeline run 'nope'\.$"):
        lineage("pipeline_run:nope", store=store)


def test_a_run_leads_to_its_reproductions_with_their_verdicts_and_back(store, reproduced):
    train, again = f"run:{reproduced['train']}", f"run:{reproduced['again']}"
    original = f"run:{reproduced['original']}"
    down = lineage(train, store=store, depth=1)
    edges = {(e.source, e.target, e.relation) for e in down.edges}
    assert (train, again, "reproduced: not reproduced") in edges
    assert down.nodes[again].label.startswith("run train-again (")
    # The refused reproduction (no run) adds a certificate, not a node.
    assert [e for e in edges if e[0] == train and e[2].startswith("reproduced")] == [
        (train, again, "reproduced: not reproduced")
    ]
    up = lineage(again, store=store, depth=2)
    assert train in {n.id for n in up.upstream}
    assert original in {n.id for n in up.upstream}  # a reproduction of a reproduction
    assert (original, train, "reproduced: reproduced") in {
        (e.source, e.target, e.relation) for e in up.edges
    }


TRIGGERED_WITHOUT_MONITOR = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, sys.argv[2])
    import jupyter_mlops as mlops
    from jupyter_mlops.store import open_store
    from graphs import add_triggered_pipeline_run

    store = open_store(f"sqlite:///{sys.argv[1]}/m.db", f"{sys.argv[1]}/objects")
    with mlops.start_run("monitor", store=store) as run:
        pass
    pid = add_triggered_pipeline_run(store, run.id)
    graph = mlops.lineage(run.id, store=store)
    print(json.dumps({
        "linked": f"pipeline_run:{pid}" in graph.nodes,
        "loaded": sorted(
            m for m in sys.modules
            if m.split(".")[:2] in (
                ["jupyter_mlops", "monitor"],
                ["jupyter_mlops", "scheduler"],
                ["jupyter_mlops", "pipelines"],
            )
        ),
    }))
    """
)


def test_monitor_links_are_followed_without_importing_the_monitor_package(tmp_path):
    here = Path(__file__).parent
    out = subprocess.run(
        [sys.executable, "-c", TRIGGERED_WITHOUT_MONITOR, str(tmp_path), str(here)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout) == {"linked": True, "loaded": []}
