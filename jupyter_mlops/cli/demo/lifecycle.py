"""`make demo` / `python -m jupyter_mlops.cli.demo`: the whole lifecycle headlessly, then a summary.

1. tracks three models (``01_track_experiments.ipynb``);
2. runs the example pipeline (``pipeline/pipeline.yaml``) in ``dev``, promotes that version to
   ``staging`` and runs it there, promotes it to ``production`` and runs it there;
3. moves the model the pipeline registered to the ``production`` stage, behind a gate;
4. runs the monitoring example (``04_monitoring.ipynb``): a scheduled drift check on a shifted
   batch, which alerts a local webhook and triggers the retrain pipeline;
5. serves the production model on a free local port, sends it a few requests, checks drift
   on the traffic it logged, and stops it.

Everything lands in the project's store (``.mlops/``); running it again reuses what did not
change (cached pipeline steps, deduplicated objects) and adds new runs.
"""

from __future__ import annotations

import json
import shutil
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import papermill as pm

from jupyter_mlops import models, scheduler
from jupyter_mlops.errors import GateRefused, MlopsUsageError, NotFoundError
from jupyter_mlops.kernel_transport import IpcKernelManager
from jupyter_mlops.pipelines import PipelineResult, load, promote_pipeline, run_pipeline
from jupyter_mlops.tracking.fluent import get_run, search_runs

NOTEBOOKS = ("01_track_experiments.ipynb", "04_monitoring.ipynb")
ENVIRONMENTS = ("dev", "staging", "production")
MODEL = "breast-cancer"
SCHEDULE = "breast-cancer-drift"  # the schedule 04_monitoring.ipynb creates


@dataclass
class DemoResult:
    """What the demo did, for the summary."""

    folder: Path
    pipelines: dict[str, PipelineResult] = field(default_factory=dict)
    step_order: list[str] = field(default_factory=list)
    model_event: str = ""
    serving: list[str] = field(default_factory=list)
    seconds: float = 0.0


def examples_dir() -> Path:
    """The example notebooks shipped beside the package in a source checkout."""
    return Path(__file__).resolve().parents[3] / "example_notebooks"


def packaged_examples() -> Path:
    """Where a wheel carries the example notebooks (``jupyter_mlops/examples``)."""
    return Path(__file__).resolve().parents[2] / "examples"


def find_examples() -> Path | None:
    """The example notebooks: packaged in the wheel, else the source checkout's; None if absent."""
    for folder in (packaged_examples(), examples_dir()):
        if (folder / NOTEBOOKS[0]).is_file() and (folder / "pipeline" / "pipeline.yaml").is_file():
            return folder
    return None


# What earlier runs leave beside the notebooks; a fresh demo folder starts without them.
_LEFTOVERS = (
    "output",
    "work",
    "mlops-runs",
    ".mlops-runs",
    ".mlops",
    ".ipynb_checkpoints",
    "__pycache__",
)


def prepare_folder(target: Path, *, force: bool = False, source: Path | None = None) -> Path:
    """Copy the example notebooks into ``target`` and make it its own project (``.mlops/``).

    Refuses a non-empty ``target`` unless ``force``; then the notebooks are copied over it.
    """
    examples = source or find_examples()
    if examples is None:
        raise MlopsUsageError(
            "the example notebooks are not installed with this package; run the demo from a "
            "source checkout (`make demo`)."
        )
    if target.exists() and not target.is_dir():
        raise MlopsUsageError(f"{target} is a file; give --dir a folder.")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise MlopsUsageError(
            f"{target} is not empty; give another --dir, or --force to copy the demo into it."
        )
    shutil.copytree(
        examples, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*_LEFTOVERS)
    )
    (target / ".mlops").mkdir(exist_ok=True)
    return target.resolve()


def _say(text: str) -> None:
    print(text, flush=True)


def _notebook(folder: Path, name: str) -> None:
    out = folder / "output"
    out.mkdir(exist_ok=True)
    started = time.perf_counter()
    _say(f"▶ {name}")
    pm.execute_notebook(
        str(folder / name),
        str(out / name),
        cwd=str(folder),
        kernel_name="python3",
        progress_bar=False,
        kernel_manager_class=IpcKernelManager,
    )
    _say(f"  ✓ {time.perf_counter() - started:.1f} s → {out / name}")


def _steps(result: PipelineResult, order: list[str]) -> str:
    # Steps are recorded as they finish (cached ones first); show them in the spec's order.
    names = [n for n in order if n in result.steps] + [n for n in result.steps if n not in order]
    return " ".join(f"{name}={result.steps[name].status}" for name in names)


def _pipeline(spec: Path, demo: DemoResult) -> None:
    demo.step_order = list(load(spec).steps)
    for before, env in zip((None, *ENVIRONMENTS), ENVIRONMENTS, strict=False):
        if before is not None:
            promote_pipeline(str(spec), from_env=before, to_env=env, reason="make demo")
            _say(f"  promoted the version that passed in {before} to {env}")
        started = time.perf_counter()
        _say(f"▶ pipeline {spec.parent.name}/{spec.name} in {env}")
        result = run_pipeline(spec, env=env)
        demo.pipelines[env] = result
        mark = "✓" if result.ok else "✗"
        _say(f"  {mark} {_steps(result, demo.step_order)} ({time.perf_counter() - started:.1f} s)")
        if not result.ok:
            for outcome in result.failed:
                _say(f"  {outcome.error_line()}")
            raise SystemExit(1)


def _promote_model(demo: DemoResult) -> None:
    """Move the version the pipeline put in staging to production, behind a gate."""
    candidate = models.get(f"models:/{MODEL}@staging")
    if "production" in candidate.stages:
        demo.model_event = f"{MODEL} v{candidate.version} already holds production"
        _say(f"  {demo.model_event}")
        return
    checks = ["tags.roc_auc >= 0.9"]
    try:
        models.get(f"models:/{MODEL}@production")
        checks.append("tags.roc_auc >= production.tags.roc_auc - 0.01")
    except NotFoundError:
        pass  # the first production version: nothing to compare with
    try:
        models.promote(MODEL, candidate.version, to="production", checks=checks, reason="demo")
        demo.model_event = f"{MODEL} v{candidate.version} promoted to production"
    except GateRefused as refused:
        demo.model_event = f"{MODEL} v{candidate.version} refused: {refused}"
    _say(f"  {demo.model_event} ({'; '.join(checks)})")


def run_demo(folder: Path | None = None) -> int:
    """Run the lifecycle against the project's store and print what it left there."""
    demo = DemoResult(folder or examples_dir())
    started = time.perf_counter()
    _notebook(demo.folder, NOTEBOOKS[0])
    _pipeline(demo.folder / "pipeline" / "pipeline.yaml", demo)
    _say("▶ model stage")
    _promote_model(demo)
    _notebook(demo.folder, NOTEBOOKS[1])
    _say("▶ serving")
    demo.serving = serve_step(demo.folder)
    for line in demo.serving:
        _say(line)
    demo.seconds = time.perf_counter() - started
    summary(demo)
    return 0


def _post(url: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    body = json.dumps({"dataframe_records": rows}).encode()
    request = urllib.request.Request(  # noqa: S310 - http to our own local server
        f"{url}/invocations", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - our own server
        return dict(json.loads(answer.read()))


def serve_step(folder: Path) -> list[str]:
    """Serve ``models:/MODEL@production`` from this process, send it requests, check drift
    on what it logged, stop it; the summary's lines."""
    # start-up: the server, pandas and scikit-learn's data load only for this step.
    from sklearn.datasets import load_breast_cancer

    from jupyter_mlops import monitor
    from jupyter_mlops.services import project, schema, serving

    uri = f"models:/{MODEL}@production"
    try:
        info = serving.start(project.store(), schema.ServeRequest(uri=uri, port=0))
    except (NotFoundError, MlopsUsageError) as exc:
        return [f"  not served: {exc}"]
    frame = load_breast_cancer(as_frame=True).frame
    columns = [c["name"] for c in (info_signature(info.model_name, info.version) or [])]
    rows = frame[columns or [c for c in frame.columns if c != "target"]]
    sample = rows.sample(100, random_state=0)  # the file is sorted by class: mix it
    requests = 0
    began = time.time()
    started = time.perf_counter()
    try:
        for start in range(0, 100, 10):
            answer = _post(info.url, sample.iloc[start : start + 10].to_dict("records"))
            requests += 1
            served = answer["model_version"]
    finally:
        serving.stop(info.url)  # writes the rest of the log
    per_request = (time.perf_counter() - started) / max(requests, 1) * 1000
    source = f"serving:{MODEL}@production"
    window = time.time() - began + 1.0  # this step's traffic, not an earlier demo's
    try:
        report = monitor.drift("training", source, window=window, log=False)
        against = "its training data"
    except MlopsUsageError:  # no training dataset in the lineage: the data it came from
        report = monitor.drift(rows, source, window=window, log=False)
        against = "the breast cancer data"
    verdict = "DRIFT" if report.dataset_drift else "no drift"
    return [
        f"  models:/{MODEL}/{served} answered {requests} requests of 10 rows at {info.url} "
        f"({per_request:.1f} ms each), following {uri}; stopped",
        f"  drift of the logged traffic against {against}: {verdict} "
        f"({len(report.drifted_columns)}/{len(report.columns)} columns)",
    ]


def info_signature(name: str, version: int) -> list[dict[str, Any]] | None:
    """The input columns version ``version`` of ``name`` was fitted on, when recorded."""
    signature = models.get(name, version).signature or {}
    columns = signature.get("columns")
    return list(columns) if signature.get("type") == "dataframe" and columns else None


def _drift_lines() -> list[str]:
    try:
        ticks = scheduler.runs(SCHEDULE, limit=1)
        threshold = (scheduler.get(SCHEDULE).monitor or {}).get("drift_threshold")
    except NotFoundError:
        ticks, threshold = [], None
    run_id = ticks[0].run_id if ticks else None
    if run_id is None:
        return ["  no monitoring run found"]
    tick = ticks[0]
    run = get_run(run_id)
    share = run.metrics.get("drift.share", float("nan"))
    columns = json.loads(run.tags.get("drift.drifted_columns", "[]"))
    acted = threshold is not None and share >= threshold
    verdict = "DRIFT" if run.tags.get("mlops.monitor.drift") == "true" else "no drift"
    rule = f" >= the monitor's threshold {threshold:.2f}" if acted else ""
    lines = [
        f"  {SCHEDULE}: {verdict}: {share:.0%} of the columns drifted{rule} "
        f"({', '.join(columns) or '-'})",
        *(f"  alert {value}" for key, value in sorted(run.tags.items()) if ".alert." in key),
        f"  retrain pipeline: {run.tags.get('mlops.trigger.status', 'not triggered')}",
        f"  monitor run {run.short_id} ({tick.status})",
    ]
    if tick.output_notebook:
        lines.append(f"  drift report: {tick.output_notebook}")
    return lines


def _runs_lines() -> list[str]:
    runs = search_runs(order_by=["start_time desc"], limit=None)
    if not len(runs):
        return ["  (none)"]
    per_experiment: dict[str, list[str]] = {}
    for experiment, status in zip(runs["experiment"], runs["status"], strict=True):
        per_experiment.setdefault(str(experiment), []).append(str(status))
    lines = [
        f"  {exp:<20} " + ", ".join(f"{statuses.count(s)} {s}" for s in sorted(set(statuses)))
        for exp, statuses in per_experiment.items()
    ]
    if "tags.kind" in runs and "metrics.roc_auc_score" in runs:  # the runs 01 tracked
        tracked = runs.dropna(subset=["tags.kind", "metrics.roc_auc_score"])
        if len(tracked):
            best = tracked.sort_values("metrics.roc_auc_score", ascending=False).iloc[0]
            lines.append(
                f"  best tracked model: {best['name']} ({best['short_id']}), "
                f"roc_auc_score {best['metrics.roc_auc_score']:.4f}"
            )
    return lines


def summary(demo: DemoResult) -> None:
    """Print runs, model versions and stages, pipeline steps, the drift verdict, reports."""
    _say(f"\nDone in {demo.seconds:.0f} s.\n\nRuns by experiment:")
    for line in _runs_lines():
        _say(line)
    _say("\nModel versions and stages:")
    for name in models.list()["name"]:
        for _, row in models.list_versions(name).iterrows():
            _say(f"  {name} v{row['version']}: {row.get('stages') or '-'}")
    if demo.model_event:
        _say(f"  ({demo.model_event})")
    _say("\nPipeline steps:")
    for env, result in demo.pipelines.items():
        _say(f"  {env:<10} {result.status:<6} {_steps(result, demo.step_order)}")
    _say("\nMonitoring:")
    for line in _drift_lines():
        _say(line)
    _say("\nServing:")
    for line in demo.serving or ["  not run"]:
        _say(line)
    _say("\nReports:")
    _say(f"  executed example notebooks   {demo.folder / 'output'}")
    _say(f"  executed pipeline steps      {demo.folder / 'pipeline' / 'mlops-runs'}")
    if demo.folder.resolve() == examples_dir().resolve():
        _say(
            "\nNext: `make lab` opens JupyterLab on example_notebooks (MLOps sidebar on the left);"
        )
    else:  # `jupyter-mlops demo --dir D`: there is no Makefile in that folder
        _say(
            f"\nNext: cd {demo.folder} && jupyter lab --ContentsManager.allow_hidden=True "
            "(MLOps sidebar on the left);"
        )
    _say(f"      jupyter-mlops runs | jupyter-mlops models show {MODEL}")
    _say(f"      jupyter-mlops monitor history {SCHEDULE} | jupyter-mlops schedule list")
