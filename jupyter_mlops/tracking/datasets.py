"""A run's datasets: versions logged with ``run.log_dataset`` and files read in a tracked cell."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from jupyter_mlops.data.names import check_role
from jupyter_mlops.errors import MlopsUsageError

if TYPE_CHECKING:
    from jupyter_mlops.data.ingest import LinkMode
    from jupyter_mlops.data.version import DatasetVersion
    from jupyter_mlops.tracking.run import Run


def _check_open(run: Run) -> None:
    if run.ended:
        raise MlopsUsageError(f"Run {run.label} has ended; start a new run to log datasets.")


def log_dataset(
    run: Run,
    source: Any,
    name: str | None = None,
    *,
    role: str = "input",
    description: str | None = None,
    link: LinkMode = "auto",
) -> DatasetVersion:
    """Version ``source`` (file, folder or DataFrame) and link it to ``run`` in ``role``.

    Roles ``training``, ``evaluation``, ``input``, ``reference`` and ``current`` are inputs of
    the run; ``product`` is an output. A version created here records the run as the one it
    was first recorded in.

    Returns:
        The version (an existing one when the content equals the latest version of ``name``).

    Raises:
        MlopsUsageError: The run has ended, or a bad role or name.
    """
    # data pulls in pandas: loaded when a run first logs a dataset, not with tracking.
    from jupyter_mlops.data import links

    role = check_role(role)
    _check_open(run)
    version = links.add_for_run(
        run.store, run.id, source, name, role=role, description=description, link=link
    )
    run.captured.datasets += 1
    return version


def link_file_read(
    run: Run, path: str | os.PathLike[str], digest: str, role: str = "input"
) -> list[DatasetVersion]:
    """Link ``run`` to the dataset versions holding a file it read (see
    :func:`jupyter_mlops.data.links.link_file_read`).

    Returns:
        The versions linked.

    Raises:
        MlopsUsageError: The run has ended, or a bad role.
    """
    # data pulls in pandas: loaded when a tracked cell first reads a file.
    from jupyter_mlops.data import links

    role = check_role(role)
    _check_open(run)
    return links.link_file_read(run.store, run.id, path, digest, role)
