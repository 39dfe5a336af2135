"""Two runs diffed, the answer to "why did the metric move?": every face's ``diff``.

The code is aligned cell by cell (the session logs of both runs when both have one, else the
cells each run tracked), then params, metrics (largest relative change first), the dataset
versions each run used with the profile diff of each that changed, other inputs, and the
environment (only what differs), summed up in a one-line headline.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, cast

from jupyter_mlops.errors import MlopsError, MlopsUsageError
from jupyter_mlops.services import datasets as dataset_service
from jupyter_mlops.services import runs as run_service
from jupyter_mlops.services.schema import (
    CellBlock,
    CodeDiff,
    DatasetChange,
    DatasetDiff,
    DiffCellSource,
    DiffChange,
    DiffedCell,
    DiffedRun,
    EnvironmentChange,
    InputChange,
    MetricChange,
    ParamChange,
    RunDiff,
    RunDiffQuery,
    RunStatus,
)
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.store.records import RunRecord
from jupyter_mlops.store.runs import load_run
from jupyter_mlops.tracking import rundiff
from jupyter_mlops.tracking.rundiff import Block, Cell, DataLink, DataMove

if TYPE_CHECKING:
    from jupyter_mlops.tracking.run import Run


def _head(run: RunRecord) -> DiffedRun:
    return DiffedRun(
        run_id=run.id,
        short_id=run.short_id,
        name=run.name,
        label=run.label,
        experiment=run.experiment,
        status=cast(RunStatus, run.status),
        start_time=run.start_time,
    )


def _session_log(store: Store, run: RunRecord) -> tuple[list[Cell], bool] | None:
    for art in run.artifacts:
        if art.path == rundiff.SESSION_LOG:
            # A log gone from the artifact store (or corrupt) falls back to the tracked cells.
            with contextlib.suppress(OSError, MlopsError):
                return rundiff.session_cells(store.objects.read_bytes(art.digest))
    return None


def _tracked_cells(run: RunRecord) -> list[Cell]:
    return [
        Cell(i, c.execution_count, c.source, c.status) for i, c in enumerate(run.cells, start=1)
    ]


def _cell(cell: Cell) -> DiffedCell:
    return DiffedCell(
        position=cell.position, execution_count=cell.execution_count, status=cell.status
    )


def _code(store: Store, a: RunRecord, b: RunRecord) -> tuple[CodeDiff, list[Block]]:
    logs = _session_log(store, a), _session_log(store, b)
    source: DiffCellSource = "run_cells"
    truncated = False
    cells = _tracked_cells(a), _tracked_cells(b)
    if logs[0] is not None and logs[1] is not None:
        # Only when both have one: a log against tracked cells would show every cell run
        # before the tracked ones as added or removed.
        source = "session"
        cells = logs[0][0], logs[1][0]
        truncated = logs[0][1] or logs[1][1]
    blocks = rundiff.align(*cells)
    code = CodeDiff(
        source=source,
        truncated=truncated,
        blocks=[
            CellBlock(
                change=cast(DiffChange, block.change),
                a=[_cell(c) for c in block.a],
                b=[_cell(c) for c in block.b],
                diff=block.diff,
            )
            for block in blocks
        ],
        edited=sum(block.change == "changed" for block in blocks),
        added=sum(block.change == "added" for block in blocks),
        removed=sum(block.change == "removed" for block in blocks),
        unchanged=sum(len(block.a) for block in blocks if block.change == "same"),
    )
    return code, blocks


def _links(store: Store, run: RunRecord) -> list[DataLink]:
    return [
        DataLink(link.dataset, link.role, link.direction, link.version, link.ref, link.digest)
        for link in run_service.datasets(store, run.id)
    ]


def _profile_diff(store: Store, move: DataMove) -> DatasetDiff | None:
    if move.change != "changed" or move.a is None or move.b is None:
        return None
    try:
        return dataset_service.diff(
            store, f"{move.dataset}@{move.a.version}", f"{move.dataset}@{move.b.version}"
        )
    except MlopsError:  # a version deleted since: the versions are still named
        return None


def _environment(run: RunRecord) -> dict[str, Any]:
    return {
        **run.environment,
        "git_commit": run.git_commit,
        "git_branch": run.git_branch,
        "git_dirty": run.git_dirty,
    }


def _inputs(run: RunRecord) -> list[tuple[str, str, str, str]]:
    return [(i.role, i.kind, i.source, i.digest) for i in run.inputs]


def diff(store: Store, query: RunDiffQuery) -> RunDiff:
    """What differs between run ``query.a`` and run ``query.b``, and a headline saying it.

    Raises:
        MlopsUsageError: an ambiguous id prefix, or the same run twice.
        NotFoundError: no run by one of the refs.
    """
    a, b = load_run(store, query.a), load_run(store, query.b)
    if a.id == b.id:
        raise MlopsUsageError(
            f"The runs are the same run ({a.label}); give two different runs to diff."
        )
    code, blocks = _code(store, a, b)
    params = rundiff.param_changes(a.params, b.params)
    metrics = rundiff.metric_moves(a.metrics, b.metrics)
    data = rundiff.data_moves(_links(store, a), _links(store, b))
    inputs = rundiff.input_moves(_inputs(a), _inputs(b))
    environment = rundiff.environment_changes(_environment(a), _environment(b))
    return RunDiff(
        a=_head(a),
        b=_head(b),
        headline=rundiff.headline(
            metrics=metrics,
            params=params,
            datasets=data,
            inputs=inputs,
            blocks=blocks,
            environment=environment,
        ),
        code=code,
        params=[ParamChange.model_validate(asdict(p)) for p in params],
        metrics=[MetricChange.model_validate(asdict(m)) for m in metrics],
        datasets=[
            DatasetChange(
                dataset=move.dataset,
                role=move.role,
                direction=move.direction,
                change=cast(DiffChange, move.change),
                a=move.a.ref if move.a else None,
                b=move.b.ref if move.b else None,
                diff=_profile_diff(store, move),
            )
            for move in data
        ],
        inputs=[InputChange.model_validate(asdict(i)) for i in inputs],
        environment=[EnvironmentChange(key=k, a=x, b=y) for k, x, y in environment],
    )


def diff_runs(run_a: str | Run, run_b: str | Run, *, store: Store | None = None) -> RunDiff:
    """Diff two runs: why did the metric move? (``mlops.diff(a, b)``).

    Args:
        run_a: the first run: a Run, or its id, short id (4+ characters) or name.
        run_b: the second run, the same way.
        store: the store (default: the project's).

    Returns:
        The code cell by cell, params, metrics side by side, data versions (with the
        profile diff of each changed dataset), environment differences and a ``headline``.

    Raises:
        MlopsUsageError: an ambiguous id prefix, or the same run twice.
        NotFoundError: no run by one of the refs.
    """
    refs: list[str] = []
    for given in (run_a, run_b):
        ref = getattr(given, "id", given)
        if not isinstance(ref, str):
            raise MlopsUsageError(f"A run is given as a Run, an id, short id or name, not {ref!r}.")
        refs.append(ref)
    return diff(store or current_store(), RunDiffQuery(a=refs[0], b=refs[1]))
