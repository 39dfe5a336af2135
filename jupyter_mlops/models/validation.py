"""Validation notebooks: run a notebook against a candidate model before promoting it.

Contract with the notebook (documented for users in :func:`jupyter_mlops.models.promote`):

- It is executed with papermill, in its own folder (``cwd``), in a fresh kernel whose
  environment points at the same store (``MLOPS_STORE_URI``, ``MLOPS_ARTIFACTS_URI``) and
  names the notebook (``MLOPS_NOTEBOOK``).
- Injected parameters: ``model_uri`` (``models:/NAME/VERSION`` of the candidate), ``stage``
  (the stage it is being promoted to) and ``validation_run_id``.
- Before the kernel starts, a *validation run* is created (experiment ``validation``, tags
  ``mlops.validation_for=<model_uri>`` and ``mlops.validation_stage=<stage>``). The notebook
  logs its metrics in a child of that run::

      model = mlops.models.load(model_uri)
      with mlops.start_run(parent=validation_run_id) as run:
          run.log_metric("roc_auc", roc_auc_score(y, model.predict_proba(X)[:, 1]))

  The latest metrics of every child run (a later run wins a shared key) are the validation
  metrics: promotion checks see them as ``validation.metrics.X`` and they override the
  registration snapshot in ``metrics.X``.
- The validation passes when every cell runs without error. The executed notebook is kept as
  the artifact ``validation/<notebook name>`` of the validation run, which ends ``finished``
  or ``failed``.
"""

from __future__ import annotations

import math
import os
import socket
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fsspec.implementations.local import LocalFileSystem

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.expressions import GateResult
from jupyter_mlops.identity import user_name
from jupyter_mlops.store import Store, runs
from jupyter_mlops.tracking.run import Run

VALIDATION_EXPERIMENT = "validation"
VALIDATION_FOR_TAG = "mlops.validation_for"
VALIDATION_STAGE_TAG = "mlops.validation_stage"


@dataclass(frozen=True)
class ValidationResult:
    """What a validation notebook did: pass/fail, the metrics it logged, where its output is."""

    notebook: str
    passed: bool
    run_id: str
    metrics: dict[str, float] = field(default_factory=dict)
    child_runs: list[str] = field(default_factory=list)
    output_digest: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "notebook": self.notebook,
            "passed": self.passed,
            "run_id": self.run_id,
            "metrics": {k: (None if math.isnan(v) else v) for k, v in self.metrics.items()},
            "child_runs": list(self.child_runs),
            "output_digest": self.output_digest,
            "error": self.error,
        }

    def as_check(self) -> GateResult:
        """The validation as one check in the promotion's audit record."""
        expression = f"validate {self.notebook}"
        where = f" (executed notebook: artifact validation/{Path(self.notebook).name} of run "
        where += f"{self.run_id[:8]})"
        if self.passed:
            shown = ", ".join(f"{k} = {v:.6g}" for k, v in self.metrics.items())
            message = f"passed: {expression} ran clean" + (f", logged {shown}" if shown else "")
            return GateResult(expression, True, dict(self.metrics), message)
        message = f"refused: {expression}: {self.error}{where}"
        return GateResult(expression, False, dict(self.metrics), message, self.error)


def check_notebook(notebook: str | os.PathLike[str]) -> Path:
    """Resolve a validation notebook path, or raise MlopsUsageError."""
    path = Path(notebook).expanduser().resolve()
    if path.suffix != ".ipynb" or not path.is_file():
        raise MlopsUsageError(f"No validation notebook {os.fspath(notebook)!r} (an .ipynb file).")
    return path


def _objects_uri(store: Store) -> str:
    objects = store.objects
    if isinstance(objects.fs, LocalFileSystem):
        return objects.root
    return str(objects.fs.unstrip_protocol(objects.root))


def _kernel_manager_class(kernel_name: str, env: dict[str, str]) -> type[Any]:
    """A kernel manager class whose kernels get ``env``; nbclient still owns and cleans it up."""
    # start-up: jupyter_client (~250 ms) only when a validation notebook runs.
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    from jupyter_mlops.kernel_transport import IpcKernelManager

    try:
        KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        raise MlopsUsageError(
            f"No Jupyter kernel named {kernel_name!r} for the validation notebook "
            "(`jupyter kernelspec list` shows the installed ones)."
        ) from None

    class ValidationKernelManager(IpcKernelManager):
        async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
            kw["env"] = {**(kw.get("env") or os.environ), **env}
            await super().start_kernel(**kw)

    return ValidationKernelManager


def _error_text(exc: BaseException) -> str:
    ename = getattr(exc, "ename", None)
    if ename is not None:
        count = getattr(exc, "exec_count", None)
        cell = (
            f"cell [{count}]" if count is not None else f"cell #{getattr(exc, 'cell_index', '?')}"
        )
        return f"{cell} raised {ename}: {getattr(exc, 'evalue', '')}".strip()
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[-1] if text else ''}"


def _child_metrics(store: Store, run_id: str) -> tuple[dict[str, float], list[str]]:
    children = runs.child_run_ids(store, run_id)
    metrics: dict[str, float] = {}
    for child in children:  # oldest first: a later run wins a shared key
        metrics.update(runs.load_run(store, child).metrics)
    return dict(sorted(metrics.items())), children


def run_validation(
    notebook: str | os.PathLike[str],
    *,
    model_uri: str,
    stage: str,
    store: Store,
    kernel_name: str | None = None,
    timeout: float | None = None,
) -> ValidationResult:
    """Execute a validation notebook for ``model_uri`` and collect the metrics it logged."""
    # start-up: nbformat and papermill cost ~1 s; only running the notebook needs them.
    import nbformat
    import papermill

    path = check_notebook(notebook)
    nb = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    kernel = kernel_name or nb.metadata.get("kernelspec", {}).get("name") or "python3"
    run = Run.create(
        store,
        name=f"validate-{model_uri.removeprefix('models:/').replace('/', '-v')}",
        experiment=VALIDATION_EXPERIMENT,
        root=path.parent,
        user=user_name(),
        host=socket.gethostname(),
        notebook_path=str(path),
        capture_env=False,
    )
    run.set_tags({VALIDATION_FOR_TAG: model_uri, VALIDATION_STAGE_TAG: stage})
    run.log_params({"model_uri": model_uri, "stage": stage, "notebook": str(path)})
    env = {
        "MLOPS_STORE_URI": store.engine.url.render_as_string(hide_password=False),
        "MLOPS_ARTIFACTS_URI": _objects_uri(store),
        "MLOPS_NOTEBOOK": str(path),
    }
    try:
        manager = _kernel_manager_class(kernel, env)
    except MlopsUsageError as exc:
        run.end("failed", error=str(exc))
        raise
    error: str | None = None
    output_digest: str | None = None
    with tempfile.TemporaryDirectory(prefix="mlops-validate-") as tmp:
        out = Path(tmp) / path.name
        try:
            papermill.execute_notebook(
                str(path),
                str(out),
                parameters={"model_uri": model_uri, "stage": stage, "validation_run_id": run.id},
                cwd=str(path.parent),
                kernel_name=kernel,
                progress_bar=False,
                log_output=False,
                execution_timeout=timeout,
                kernel_manager_class=manager,
            )
        except Exception as exc:  # noqa: BLE001 - any failure of the notebook refuses the promotion
            error = _error_text(exc)
        if out.is_file():
            output_digest = run.log_artifact(out, f"validation/{path.name}", kind="notebook")[
                0
            ].digest
    run.end("finished" if error is None else "failed", error=error)
    metrics, children = _child_metrics(store, run.id)
    return ValidationResult(
        notebook=str(path),
        passed=error is None,
        run_id=run.id,
        metrics=metrics,
        child_runs=children,
        output_digest=output_digest,
        error=error,
    )
