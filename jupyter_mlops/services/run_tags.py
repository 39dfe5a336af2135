"""Tag many runs at once (the runs table's bulk action), and the experiments to pick from."""

from __future__ import annotations

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.services.schema import (
    ExperimentInfo,
    ExperimentList,
    RunTagsRequest,
    RunTagsResult,
)
from jupyter_mlops.store import Store
from jupyter_mlops.store.run_groups import experiment_run_counts, set_tags_of_runs
from jupyter_mlops.tracking.checks import check_key

#: The most runs one request tags (a selection of a page or a few; not the whole store).
MAX_RUNS = 10_000


def set_tags(store: Store, request: RunTagsRequest) -> RunTagsResult:
    """Set ``request.tags`` on every run of ``request.runs``: all of them, or none.

    Raises:
        MlopsUsageError: no runs or no tags given, too many runs, a malformed tag key.
        NotFoundError: a run that does not exist (no run is tagged then).
    """
    if not request.runs:
        raise MlopsUsageError("Give one or more runs to tag.")
    if len(request.runs) > MAX_RUNS:
        raise MlopsUsageError(f"Tag at most {MAX_RUNS:,} runs at once, not {len(request.runs):,}.")
    if not request.tags:
        raise MlopsUsageError("Give one or more tags to set, as KEY=VALUE.")
    tags = {check_key("tag", key): value for key, value in request.tags.items()}
    run_ids = set_tags_of_runs(store, request.runs, tags)
    return RunTagsResult(runs=run_ids, tags=tags)


def experiments(store: Store) -> ExperimentList:
    """Every experiment with its number of runs, by name."""
    counts = experiment_run_counts(store)
    return ExperimentList(items=[ExperimentInfo(name=n, runs=c) for n, c in counts.items()])
