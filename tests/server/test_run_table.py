"""What the runs table asks the services: parents with their child counts, a parent's
children, tags set on many runs at once (all or none), the experiments to pick from."""

from __future__ import annotations

import pytest

import jupyter_mlops as mlops
from jupyter_mlops.errors import FilterSyntaxError, MlopsUsageError, NotFoundError
from jupyter_mlops.services import run_tags, runs
from jupyter_mlops.services.schema import RunKeysQuery, RunQuery, RunTagsRequest
from jupyter_mlops.store import Store


def _search_with_trials(store: Store, trials: int = 3) -> tuple[str, list[str]]:
    with mlops.start_run(name="search", experiment="tuning", store=store) as parent:
        pass
    children = []
    for i in range(trials):
        with mlops.start_run(
            name=f"trial-{i}", experiment="tuning", parent=parent, store=store
        ) as child:
            child.log_metric("auc", 0.5 + i / 10)
        children.append(child.id)
    return parent.id, children


def test_roots_only_lists_parents_with_their_child_counts(store: Store) -> None:
    parent, children = _search_with_trials(store)
    with mlops.start_run(name="alone", experiment="tuning", store=store):
        pass

    flat = runs.search(store, RunQuery())
    assert flat.total == 5

    page = runs.search(store, RunQuery(roots_only=True, order_by=["name"]))
    assert page.total == 2
    assert [(r.name, r.children) for r in page.items] == [("alone", 0), ("search", 3)]

    under = runs.search(store, RunQuery(filter=f"parent_id = '{parent}'", order_by=["name"]))
    assert [r.run_id for r in under.items] == children
    assert all(r.children == 0 for r in under.items)


def test_roots_only_keeps_the_users_filter_and_its_error(store: Store) -> None:
    _search_with_trials(store)
    page = runs.search(store, RunQuery(roots_only=True, filter="name = 'search'"))
    assert [r.name for r in page.items] == ["search"]
    assert runs.search(store, RunQuery(roots_only=True, filter="name = 'trial-1'")).total == 0
    with pytest.raises(FilterSyntaxError) as error:
        runs.search(store, RunQuery(roots_only=True, filter="metrics.auc >"))
    assert "parent_id" not in str(error.value)


def test_tags_are_set_on_every_run_or_none(store: Store) -> None:
    _, children = _search_with_trials(store)
    done = run_tags.set_tags(
        store, RunTagsRequest(runs=[c[:8] for c in children[:2]], tags={"review": "keep"})
    )
    assert done.runs == children[:2]
    tagged = runs.search(store, RunQuery(filter="tags.review = 'keep'", order_by=["name"]))
    assert [r.run_id for r in tagged.items] == children[:2]

    with pytest.raises(NotFoundError):
        run_tags.set_tags(
            store, RunTagsRequest(runs=[children[2], "no-such-run"], tags={"review": "drop"})
        )
    assert runs.search(store, RunQuery(filter="tags.review = 'drop'")).total == 0

    for request, message in (
        (RunTagsRequest(runs=[], tags={"a": "b"}), "one or more runs"),
        (RunTagsRequest(runs=children, tags={}), "KEY=VALUE"),
        (RunTagsRequest(runs=children, tags={" ": "b"}), "non-empty"),
    ):
        with pytest.raises(MlopsUsageError, match=message):
            run_tags.set_tags(store, request)


def test_experiments_are_listed_with_their_run_counts(store: Store) -> None:
    _search_with_trials(store, trials=2)
    with mlops.start_run(name="other", experiment="baseline", store=store):
        pass
    listed = run_tags.experiments(store).items
    assert [(e.name, e.runs) for e in listed] == [("baseline", 1), ("tuning", 3)]


def test_the_keys_of_an_experiment_are_those_its_runs_have(store: Store) -> None:
    _search_with_trials(store, trials=2)
    with mlops.start_run(name="other", experiment="baseline", store=store) as run:
        run.log_param("alpha", 1)
        run.log_metric("rmse", 0.3)
        run.set_tag("owner", "ana")
    tuning = runs.keys(store, RunKeysQuery(experiment=["tuning"]))
    assert (tuning.params, tuning.metrics, tuning.tags) == ([], ["auc"], [])
    baseline = runs.keys(store, RunKeysQuery(experiment=["baseline"]))
    assert (baseline.params, baseline.metrics, baseline.tags) == (["alpha"], ["rmse"], ["owner"])
    everything = runs.keys(store, RunKeysQuery())
    assert everything.metrics == ["auc", "rmse"]
