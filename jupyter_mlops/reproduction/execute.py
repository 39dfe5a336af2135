"""Execute a slice in a clean kernel, tracked into a new run linked to the original.

The slice becomes a notebook in the reproduction's working folder (where the recorded data
was restored) and runs as a pipeline step does: papermill in a fresh kernel from a
:class:`~jupyter_mlops.pipelines.kernels.KernelPool`, with a timeout, every cell captured into
the reproduction run (tag ``mlops.reproduces=<original run id>``). The executed notebook is
kept as the run's ``report.ipynb``.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

from jupyter_mlops.config import load_config
from jupyter_mlops.identity import user_name
from jupyter_mlops.pipelines.execute import StepRequest, execute_step
from jupyter_mlops.pipelines.kernels import KernelPool
from jupyter_mlops.store import Store
from jupyter_mlops.store.records import RunRecord
from jupyter_mlops.tracking.run import Run

#: The tag linking a reproduction run to the run it reproduces.
REPRODUCES_TAG = "mlops.reproduces"


@dataclass(frozen=True)
class Execution:
    """One execution of the slice: its run, and how it ended."""

    run_id: str
    ok: bool
    error: str | None
    duration: float
    notebook: Path


def write_notebook(code: list[str], path: Path) -> None:
    """Write the slice's cells as a Python notebook."""
    # start-up: nbformat loads its JSON schemas (~300 ms); only when a reproduction runs.
    import nbformat

    nb = nbformat.v4.new_notebook()  # type: ignore[no-untyped-call]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in code]  # type: ignore[no-untyped-call]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))  # type: ignore[no-untyped-call]


def _store_env(store: Store) -> dict[str, str]:
    env = {"MLOPS_STORE_URI": store.engine.url.render_as_string(hide_password=False)}
    artifacts = getattr(store.config, "artifacts_uri", None)
    if artifacts:
        env["MLOPS_ARTIFACTS_URI"] = str(artifacts)
    return env


def execute_slice(
    store: Store,
    original: RunRecord,
    code: list[str],
    *,
    folder: Path,
    attempt: int,
    pool: KernelPool | None,
    timeout: float | None,
) -> Execution:
    """Run ``code`` (the slice's cells) in a fresh kernel in ``folder``, tracked as a new run.

    Never raises for a failing cell: the failure is in the result (and the run is failed).
    """
    config = load_config()
    run = Run.create(
        store,
        name=f"reproduce-{original.name}"[:255],
        experiment=original.experiment,
        root=config.root,
        user=user_name(),
        host=socket.gethostname(),
        flush_interval=config.flush_interval,
    )
    run.set_tags({REPRODUCES_TAG: original.id, "mlops.reproduction_attempt": attempt})
    run.flush()
    notebook = folder / f".mlops-reproduce-{attempt}.ipynb"
    output = folder / f".mlops-reproduce-{attempt}.out.ipynb"
    write_notebook(code, notebook)
    request = StepRequest(
        step="reproduce",
        notebook=notebook,
        output=output,
        params={},
        cwd=folder,
        timeout=timeout,
        env={"MLOPS_RUN_ID": run.id, **_store_env(store)},
    )
    kernel = pool.acquire() if pool is not None else None
    result = execute_step(request, kernel=kernel)
    error = None
    if not result.ok and result.error is not None:
        cell = "" if result.error.cell_index is None else f" in cell {result.error.cell_index}"
        error = f"{result.error.ename}{cell}: {result.error.evalue}"
    if output.is_file():
        run.log_artifact(output, "report.ipynb", kind="report")
    run.end("finished" if result.ok else "failed", error=error)
    return Execution(run.id, result.ok, error, result.duration, output)
