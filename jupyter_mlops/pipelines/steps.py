"""A pipeline run's steps: the scheduling loop, and each step from its tracked run to its outcome.

:func:`run_steps` submits a step once the steps it needs are done (``ok`` or ``cached``), skips
it when one of them failed, retries a failed step as configured and records every outcome
(``step_runs`` rows, the progress display). :class:`StepRunner` holds what the loop shares:
each step's tracked run, the request the executor gets, and how a step's result becomes its
outcome (report artifact, declared outputs, gate).
"""

from __future__ import annotations

import concurrent.futures as cf
import importlib
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from jupyter_mlops.errors import StoreError
from jupyter_mlops.pipelines import cancel
from jupyter_mlops.pipelines.gate import gate_failure
from jupyter_mlops.pipelines.keys import StepPlan, digests
from jupyter_mlops.pipelines.outputs import RUNS_DIR, pipeline_output_dir, runs_folder
from jupyter_mlops.pipelines.progress import Progress, StepEvent
from jupyter_mlops.pipelines.spec import Pipeline, Step
from jupyter_mlops.store import Store
from jupyter_mlops.store import pipelines as records
from jupyter_mlops.tracking.fluent import start_run

#: Executed notebooks go under this folder of the pipeline's root (see pipelines.outputs).
OUTPUT_DIR = RUNS_DIR


@dataclass
class StepOutcome:
    """How one step ended in a pipeline run."""

    step: str
    status: str
    reason: str = ""
    run_id: str | None = None
    output_notebook: str | None = None
    error: dict[str, Any] | None = None
    duration: float = 0.0
    attempts: int = 0

    def error_line(self) -> str:
        """One line: the failing cell, the error, and where the saved notebook is."""
        if self.error is None:
            return self.reason
        err = self.error
        cell = f" at cell {err['cell_index']}" if err.get("cell_index") is not None else ""
        what = err.get("message") or f"{err.get('ename')}: {err.get('evalue')}"
        where = f" (see {self.output_notebook})" if self.output_notebook else ""
        return f"step {self.step!r} failed{cell}: {what}{where}"


# Executing steps imports jupyter_client and the kernel pool: only when a step will run
# (a pipeline whose steps are all cached starts no kernel and imports none of it).
def _execute_module() -> Any:
    return importlib.import_module("jupyter_mlops.pipelines.execute")


def _make_executor(spec: str, jobs: int) -> Any:
    module = importlib.import_module("jupyter_mlops.pipelines.executors")
    return module.make_executor(spec, jobs=jobs)


def _store_env(store: Store) -> dict[str, str]:
    env = {"MLOPS_STORE_URI": store.engine.url.render_as_string(hide_password=False)}
    artifacts = getattr(store.config, "artifacts_uri", None)
    if artifacts:
        env["MLOPS_ARTIFACTS_URI"] = str(artifacts)
    return env


def _error_dict(error: Any, message: str | None = None) -> dict[str, Any]:
    if error is None:
        return {
            "cell_index": None,
            "ename": "Error",
            "evalue": message or "",
            "traceback": "",
            "message": message,
        }
    return {
        "cell_index": error.cell_index,
        "ename": error.ename,
        "evalue": error.evalue,
        "traceback": error.traceback,
        "message": message,
    }


#: The error of a step whose run was cancelled as it ended (the note the cancel writes).
_CANCELLED: dict[str, Any] = {"note": "cancelled"}


class StepRunner:
    """One pipeline run in progress (the state the scheduling loop shares)."""

    def __init__(
        self,
        pipeline: Pipeline,
        *,
        env: str | None,
        resolved: dict[str, dict[str, Any]],
        plans: dict[str, StepPlan],
        store: Store,
        progress: Progress,
        prun_id: str,
        run: Any,
    ) -> None:
        self.pipeline = pipeline
        self.env = env
        self.resolved = resolved
        self.plans = plans
        self.store = store
        self.progress = progress
        self.prun_id = prun_id
        self.run = run
        self.outcomes: dict[str, StepOutcome] = {}
        self.step_rows: dict[str, int] = {}
        self.active: dict[str, Any] = {}
        self.out_dir = pipeline_output_dir(pipeline.root, pipeline.name, prun_id)
        self.cancelled = False

    def is_cancelled(self) -> bool:
        """Whether someone cancelled this run (the store says so); kills its kernels then."""
        if not self.cancelled:
            record = records.get_pipeline_run(self.store, self.prun_id)
            if record is not None and record.status == "cancelled":
                self.cancelled = True
                cancel.kill(self.prun_id)
        return self.cancelled

    def output(self, step: Step, attempt: int) -> Path:
        """Where attempt ``attempt`` of ``step`` saves its executed notebook (its report)."""
        suffix = f".attempt{attempt}" if attempt > 1 else ""
        return self.out_dir / f"{step.name}{suffix}.ipynb"

    def request(self, step: Step, step_run: Any, attempt: int) -> Any:
        execute = _execute_module()
        output = self.output(step, attempt)
        env = {
            "MLOPS_RUN_ID": step_run.id,
            "MLOPS_PIPELINE_RUN": self.prun_id,
            "MLOPS_STEP": step.name,
            "MLOPS_NOTEBOOK": str(step.notebook),
            **_store_env(self.store),
        }
        return execute.StepRequest(
            step=step.name,
            notebook=step.notebook,
            output=output,
            params=dict(self.resolved[step.name]),
            cwd=self.pipeline.root,
            kernel=step.kernel,
            timeout=step.timeout,
            env=env,
        )

    def start_step(self, step: Step, attempt: int) -> Any | None:
        """Start ``step``'s tracked run and mark its step run ``running``; None when a cancel
        ended the step run first (the step must not run)."""
        tags = {"step": step.name, "pipeline": self.pipeline.name, "pipeline_run": self.prun_id}
        if self.env is not None:
            tags["env"] = self.env
        step_run = start_run(
            step.name,
            experiment=self.pipeline.name,
            parent=self.run.id,
            tags=tags,
            params=self.resolved[step.name],
            # The run links the executed report, not the unexecuted source notebook.
            notebook=str(self.output(step, attempt)),
            store=self.store,
        )
        started = records.start_step_run(
            self.store,
            self.step_rows[step.name],
            run_id=step_run.id,
            attempt=attempt,
            started=time.time(),
            # Where its notebook is saved as it runs: the live log reads it.
            output_notebook=str(self.output(step, attempt)),
        )
        if not started:
            step_run.end("killed", error="cancelled")
            self.is_cancelled()  # kills the kernels of the steps still running here
            return None
        detail = f"attempt {attempt}" if attempt > 1 else ""
        self.progress.update(StepEvent(step.name, "running", detail))
        return step_run

    def finish_step(
        self, step: Step, step_run: Any, result: Any, exc: BaseException | None, attempt: int
    ) -> StepOutcome:
        """Log the report, check the gate and outputs; return the outcome (ok, failed, or
        cancelled when the run was cancelled meanwhile). The step's tracked run ends with
        :meth:`end_step` once the outcome is recorded or retried."""
        output = getattr(result, "output", None)
        error: dict[str, Any] | None = None
        if exc is not None:
            error = _error_dict(None, f"{type(exc).__name__}: {exc}")
        elif not result.ok:
            error = _error_dict(result.error)
        if output is not None and Path(output).is_file():
            try:
                step_run.log_artifact(Path(output), "report.ipynb", kind="report")
            except StoreError as store_exc:
                # The object store is down (S3 unreachable): fail this step with the reason
                # instead of aborting the pipeline and leaving the step run "running".
                if error is None:
                    error = _error_dict(None, f"report not stored: {store_exc.message}")
        if error is None:
            found = digests(self.pipeline.root, step.outputs)
            missing = [p for p, d in found.items() if d is None]
            if missing:
                error = _error_dict(None, f"declared output {missing[0]!r} was not written")
        if error is None and step.gate:
            gate = self.check_gate(step, step_run.id)
            if gate is not None:
                error = _error_dict(None, f"gate {gate}")
        status = "ok" if error is None else "failed"
        if self.is_cancelled():
            # Killed by the cancel, or it ended after the cancel: either way it is not done
            # (its result is not reused), and the run's record already says cancelled.
            status = "cancelled"
            error = _error_dict(None, "cancelled while it ran") if error else dict(_CANCELLED)
        duration = float(getattr(result, "duration", 0.0) or 0.0)
        return StepOutcome(
            step.name,
            status,
            run_id=step_run.id,
            output_notebook=None if output is None else str(output),
            error=error,
            duration=duration,
            attempts=attempt,
        )

    def end_step(self, step_run: Any, outcome: StepOutcome) -> None:
        """End the step's tracked run as its outcome says."""
        error = outcome.error
        if outcome.status == "cancelled":
            step_run.end("killed", error="cancelled")
        elif error is None:
            step_run.end("finished")
        else:
            step_run.end(
                "failed", error=error.get("message") or f"{error['ename']}: {error['evalue']}"
            )

    def check_gate(self, step: Step, run_id: str) -> str | None:
        """The gate's message when it does not hold, else None."""
        assert step.gate is not None
        return gate_failure(self.store, step.gate, run_id)


def record_plans(runner: StepRunner) -> None:
    store, prun_id = runner.store, runner.prun_id
    blocked: set[str] = set()  # cached steps that failed their gate, and what follows them
    for name, step_plan in runner.plans.items():
        failed_up = [n for n in runner.pipeline.steps[name].needs if n in blocked]
        if step_plan.action == "cached" and failed_up:
            blocked.add(name)
            # Its upstream's cached result fails that step's gate now: nothing after it counts.
            reason = f"upstream {failed_up[0]!r} failed"
            runner.step_rows[name] = records.add_step_run(
                store,
                prun_id,
                name,
                status="skipped",
                cache_key=step_plan.key,
                error={"note": reason},
            )
            runner.outcomes[name] = StepOutcome(name, "skipped", reason)
            runner.progress.update(StepEvent(name, "skipped", reason))
        elif step_plan.action == "cached" and step_plan.gate_failure is not None:
            blocked.add(name)
            error = _error_dict(None, step_plan.gate_failure)
            outcome = _record_reused(runner, name, step_plan, "failed", error)
            runner.progress.update(
                StepEvent(name, "failed", outcome.error_line(), outcome.output_notebook)
            )
        elif step_plan.action == "cached":
            _record_reused(runner, name, step_plan, "cached", {"note": step_plan.reason})
        elif step_plan.action == "skip":
            runner.step_rows[name] = records.add_step_run(
                store,
                prun_id,
                name,
                status="skipped",
                cache_key=step_plan.key,
                error={"note": step_plan.reason},
            )
            runner.outcomes[name] = StepOutcome(name, "skipped", step_plan.reason)
        else:
            runner.step_rows[name] = records.add_step_run(
                store, prun_id, name, status="queued", cache_key=step_plan.key
            )


def _record_reused(
    runner: StepRunner, name: str, step_plan: StepPlan, status: str, error: dict[str, Any]
) -> StepOutcome:
    """Record a step whose cached run is reused (``cached``, or ``failed`` by a tightened gate)."""
    reuse = step_plan.reuse
    assert reuse is not None
    now = time.time()
    runner.step_rows[name] = records.add_step_run(
        runner.store,
        runner.prun_id,
        name,
        status=status,
        cache_key=step_plan.key,
        run_id=reuse.run_id,
        output_notebook=reuse.output_notebook,
        outputs=reuse.outputs,
        error=error,
        started=now,
        ended=now,
    )
    outcome = runner.outcomes[name] = StepOutcome(
        name,
        status,
        step_plan.reason,
        reuse.run_id,
        reuse.output_notebook,
        error if status == "failed" else None,
    )
    return outcome


def _skip(runner: StepRunner, name: str, reason: str) -> None:
    status = records.end_step_run(
        runner.store, runner.step_rows[name], "skipped", error={"note": reason}
    )
    if status == "cancelled":  # the cancel came first
        reason = "cancelled before it ran"
    runner.outcomes[name] = StepOutcome(name, status, reason)
    runner.progress.update(StepEvent(name, "skipped", reason))


def _skip_downstream(runner: StepRunner, failed: str) -> None:
    for name in runner.pipeline.downstream(failed):
        if name not in runner.outcomes:
            _skip(runner, name, f"upstream {failed!r} failed")


def start_executor(executor: str | Any, jobs: int, steps: int) -> Any:
    """The executor (made from its spec, or as given), told to start kernels for ``steps``."""
    chosen = _make_executor(executor, jobs) if isinstance(executor, str) else executor
    chosen.prepare(steps)
    return chosen


def run_steps(runner: StepRunner, executor: Any) -> None:
    """Submit each step once its needs are done; record every outcome (see the module doc)."""
    pipeline = runner.pipeline
    to_run = [n for n, p in runner.plans.items() if p.action == "run"]
    if not to_run:
        return
    pending: dict[cf.Future[Any], tuple[str, Any, int]] = {}
    submitted: set[str] = set()
    try:
        while True:
            cancelled = runner.is_cancelled()
            for name in to_run:
                if name in submitted or name in runner.outcomes:
                    continue
                if cancelled:
                    _end_cancelled(runner, name)
                    continue
                needs = pipeline.steps[name].needs
                if any(runner.outcomes.get(n) is None for n in needs):
                    continue
                blocked = [n for n in needs if runner.outcomes[n].status not in ("ok", "cached")]
                if blocked:
                    _skip(
                        runner,
                        name,
                        f"upstream {blocked[0]!r} {runner.outcomes[blocked[0]].status}",
                    )
                    continue
                submitted.add(name)
                _submit(runner, executor, pending, name, 1)
            if not pending:
                break
            # Woken every POLL seconds to look for a cancel asked by another process.
            done, _ = cf.wait(list(pending), timeout=cancel.POLL, return_when=cf.FIRST_COMPLETED)
            for future in done:
                name, _unused, attempt = pending.pop(future)
                step = pipeline.steps[name]
                step_run = runner.active.pop(name)
                exc = future.exception()
                result = None if exc is not None else future.result()
                outcome = runner.finish_step(step, step_run, result, exc, attempt)
                if outcome.status == "failed" and attempt <= step.retries and not cancelled:
                    runner.end_step(step_run, outcome)
                    retry = f"retry {attempt + 1}: {outcome.error_line()}"
                    runner.progress.update(StepEvent(name, "running", retry))
                    _submit(runner, executor, pending, name, attempt + 1)
                    continue
                _record_outcome(runner, step, step_run, outcome)
    finally:
        for future in pending:
            future.cancel()


def _end_cancelled(runner: StepRunner, name: str) -> None:
    """A step the cancel came before: it never runs."""
    runner.outcomes[name] = StepOutcome(name, "cancelled", "cancelled before it ran")
    records.end_step_run(
        runner.store,
        runner.step_rows[name],
        "cancelled",
        ended=time.time(),
        error={"note": "cancelled before it ran"},
    )
    runner.progress.update(StepEvent(name, "skipped", "cancelled"))


def _submit(
    runner: StepRunner,
    executor: Any,
    pending: dict[cf.Future[Any], tuple[str, Any, int]],
    name: str,
    attempt: int,
) -> None:
    """Submit attempt ``attempt`` of step ``name`` (unless a cancel ended it first)."""
    step = runner.pipeline.steps[name]
    step_run = runner.start_step(step, attempt)
    if step_run is None:
        runner.outcomes[name] = StepOutcome(name, "cancelled", "cancelled", attempts=attempt)
        runner.progress.update(StepEvent(name, "skipped", "cancelled"))
        return
    runner.active[name] = step_run
    runs_folder(runner.pipeline.root)
    runner.out_dir.mkdir(parents=True, exist_ok=True)
    future: cf.Future[Any] = executor.submit(runner.request(step, step_run, attempt))
    pending[future] = (name, None, attempt)


def _record_outcome(runner: StepRunner, step: Step, step_run: Any, outcome: StepOutcome) -> None:
    outputs = digests(runner.pipeline.root, step.outputs) if outcome.status == "ok" else {}
    try:
        recorded = records.end_step_run(
            runner.store,
            runner.step_rows[step.name],
            outcome.status,
            run_id=outcome.run_id,
            attempt=outcome.attempts,
            ended=time.time(),
            output_notebook=outcome.output_notebook,
            outputs={k: v for k, v in outputs.items() if v is not None},
            error=outcome.error,
        )
    except BaseException:
        runner.end_step(step_run, outcome)
        raise
    if recorded != outcome.status:
        # Cancelled between the step's end and this record: the cancel stands.
        outcome = replace(outcome, status=recorded, error=dict(_CANCELLED))
    runner.outcomes[step.name] = outcome
    runner.end_step(step_run, outcome)
    notebook = outcome.output_notebook
    if outcome.status == "cancelled":
        runner.progress.update(StepEvent(step.name, "failed", "cancelled", notebook))
    elif outcome.status == "ok":
        runner.progress.update(StepEvent(step.name, "ok", f"{outcome.duration:.1f} s", notebook))
    else:
        runner.progress.update(StepEvent(step.name, "failed", outcome.error_line(), notebook))
        _skip_downstream(runner, step.name)
