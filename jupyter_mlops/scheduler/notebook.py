"""Run one notebook headless with papermill, in a kernel that writes to our store.

:func:`run_notebook` is the one place the scheduler executes notebooks; it uses the
pipelines engine's ``execute_step`` when that exists, else papermill directly.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.scheduler.attach import cells
from jupyter_mlops.store import Store


@dataclass(frozen=True)
class NotebookResult:
    """How one execution went; ``output`` is the executed notebook (also on failure)."""

    ok: bool
    output: Path
    error: str | None = None


def _error_text(exc: BaseException) -> str:
    ename = getattr(exc, "ename", None)
    if ename is not None:
        count = getattr(exc, "exec_count", None)
        where = f"cell [{count}]" if count is not None else "a cell"
        return f"{where} raised {ename}: {getattr(exc, 'evalue', '')}".strip()
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[-1] if text else ''}"


def store_env(store: Store, notebook: Path) -> dict[str, str]:
    """The variables a kernel needs to write to ``store``."""
    from fsspec.implementations.local import LocalFileSystem

    objects = store.objects
    if isinstance(objects.fs, LocalFileSystem):
        objects_uri = str(objects.root)
    else:
        objects_uri = str(objects.fs.unstrip_protocol(objects.root))
    return {
        "MLOPS_STORE_URI": store.engine.url.render_as_string(hide_password=False),
        "MLOPS_ARTIFACTS_URI": objects_uri,
        "MLOPS_NOTEBOOK": str(notebook),
    }


def _kernel_manager_class(kernel_name: str, env: dict[str, str]) -> type[Any]:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    from jupyter_client.manager import AsyncKernelManager

    try:
        KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        raise MlopsUsageError(
            f"No Jupyter kernel named {kernel_name!r} (`jupyter kernelspec list` shows them)."
        ) from None

    class ScheduleKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
            kw["env"] = {**(kw.get("env") or os.environ), **env}
            await super().start_kernel(**kw)

    return ScheduleKernelManager


def _prepare(notebook: Path, run_id: str, folder: Path) -> tuple[Path, str]:
    import nbformat

    nb = nbformat.read(notebook, as_version=4)  # type: ignore[no-untyped-call]
    kernel = str(nb.metadata.get("kernelspec", {}).get("name") or "python3")
    first, last = cells(run_id)
    tags = {"tags": ["injected-mlops"]}
    nb.cells.insert(0, nbformat.v4.new_code_cell(first, metadata=tags))  # type: ignore[no-untyped-call]
    nb.cells.append(nbformat.v4.new_code_cell(last, metadata=tags))  # type: ignore[no-untyped-call]
    prepared = folder / notebook.name
    nbformat.write(nb, prepared)  # type: ignore[no-untyped-call]
    return prepared, kernel


def run_notebook(
    store: Store,
    notebook: Path,
    output: Path,
    *,
    run_id: str,
    params: dict[str, Any],
    timeout: float | None = None,
) -> NotebookResult:
    """Execute ``notebook`` into ``output`` with ``params``, logging into run ``run_id``."""
    import papermill

    output.parent.mkdir(parents=True, exist_ok=True)
    env = store_env(store, notebook)
    with tempfile.TemporaryDirectory(prefix="mlops-schedule-") as tmp:
        prepared, kernel = _prepare(notebook, run_id, Path(tmp))
        try:
            manager = _kernel_manager_class(kernel, env)
            papermill.execute_notebook(
                str(prepared),
                str(output),
                parameters=params,
                cwd=str(notebook.parent),
                kernel_name=kernel,
                progress_bar=False,
                log_output=False,
                execution_timeout=timeout,
                kernel_manager_class=manager,
            )
        except Exception as exc:  # noqa: BLE001 - a failing notebook is a failed schedule run
            return NotebookResult(False, output, _error_text(exc))
    return NotebookResult(True, output)
