"""A store holding one small lineage graph (see graphs.py)."""

import shutil

import pytest

from jupyter_mlops.store import open_store

from .graphs import add_reproductions, add_triggered_pipeline_run, build_graph


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


@pytest.fixture
def graph(store):
    """raw -> prep run -> train, test -> train run -> models:/churn/1 -> staging, production."""
    return build_graph(store)


@pytest.fixture
def triggered(store, graph):
    """The graph, plus a retrain pipeline run the train run triggered as a monitor would."""
    return {**graph, "pipeline_run": add_triggered_pipeline_run(store, graph["train"])}


@pytest.fixture
def reproduced(store, triggered):
    """The triggered graph, the train run also reproducing one run and reproduced by another."""
    return {**triggered, **add_reproductions(store, triggered["train"])}
