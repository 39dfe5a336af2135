"""Run one scheduled notebook headless, logging into the schedule's run.

The pipelines engine's ``execute_step`` does the work (papermill in a fresh kernel, a hidden
bootstrap that attaches the kernel to the run named by ``MLOPS_RUN_ID``, the executed notebook
saved on failure too); this module only builds its request and words its error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fsspec.implementations.local import LocalFileSystem

from jupyter_mlops.pipelines.loops import off_event_loop
from jupyter_mlops.store import Store


@dataclass(frozen=True)
class NotebookResult:
    """How one execution went; ``output`` is the executed notebook (also on failure)."""

    ok: bool
    output: Path
    error: str | None = None


def store_env(store: Store, notebook: Path, run_id: str) -> dict[str, str]:
    """The variables a kernel needs to write into run ``run_id`` of ``store``."""
    objects = store.objects
    if isinstance(objects.fs, LocalFileSystem):
        objects_uri = str(objects.root)
    else:
        objects_uri = str(objects.fs.unstrip_protocol(objects.root))
    return {
        "MLOPS_RUN_ID": run_id,
        "MLOPS_STORE_URI": store.engine.url.render_as_string(hide_password=False),
        "MLOPS_ARTIFACTS_URI": objects_uri,
        "MLOPS_NOTEBOOK": str(notebook),
    }


def _kernel_of(notebook: Path) -> str:
    # start-up: nbformat loads its JSON schemas (~300 ms); only a run needs them.
    import nbformat

    nb = nbformat.read(notebook, as_version=4)  # type: ignore[no-untyped-call]
    return str(nb.metadata.get("kernelspec", {}).get("name") or "python3")


def run_notebook(
    store: Store,
    notebook: Path,
    output: Path,
    *,
    name: str,
    run_id: str,
    params: dict[str, Any],
    timeout: float | None = None,
) -> NotebookResult:
    """Execute ``notebook`` into ``output`` with ``params``, logging into run ``run_id``."""
    # start-up: execute brings the kernel pool (~120 ms); only a due run needs it.
    from jupyter_mlops.pipelines.execute import StepRequest, execute_step

    output.parent.mkdir(parents=True, exist_ok=True)
    request = StepRequest(
        step=name,
        notebook=notebook,
        output=output,
        params=params,
        cwd=notebook.parent,
        kernel=_kernel_of(notebook),
        timeout=timeout,
        env=store_env(store, notebook, run_id),
    )
    result = off_event_loop(lambda: execute_step(request))
    if result.ok:
        return NotebookResult(True, output)
    err = result.error
    if err is None:
        return NotebookResult(False, output, f"the notebook failed (exit code {result.exit_code})")
    where = f"code cell {err.cell_index}" if err.cell_index is not None else "the kernel"
    return NotebookResult(False, output, f"{where} raised {err.ename}: {err.evalue}".strip())
