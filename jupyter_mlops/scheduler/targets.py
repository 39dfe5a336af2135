"""What a schedule runs, checked as ``jupyter-mlops run`` checks it: when added, at each tick.

A schedule is a saved ``jupyter-mlops run TARGET --env ENV -p KEY=VALUE`` command: its
notebook or pipeline must be a file of the project, and its spec, environment and
parameters must pass the checks of the pipelines engine (the same functions ``run`` and
``pipeline status`` call: :func:`~jupyter_mlops.pipelines.spec.load`,
:func:`~jupyter_mlops.pipelines.params.resolve`). Parameters are typed by their target
(:mod:`jupyter_mlops.keyvalue`): the default in the notebook's ``parameters`` cell, for a
pipeline the default in the step's notebook (``-p train.C=0.5``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_mlops.config import load_config
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.keyvalue import UNTYPED, text
from jupyter_mlops.pipelines.notebook import notebook_pipeline
from jupyter_mlops.pipelines.params import notebook_parameters, parse_overrides, resolve
from jupyter_mlops.pipelines.spec import Pipeline, load
from jupyter_mlops.store import Store
from jupyter_mlops.store.schedules import Schedule


def project_file(kind: str, given: str, *, root: Path, cwd: Path | None = None) -> str:
    """``given`` (relative to ``cwd``, default ``root``) as a path relative to the project.

    Raises:
        MlopsUsageError: a path outside the project ``root``, or no such file.
    """
    if not isinstance(given, str) or not given.strip() or "\x00" in given:
        raise MlopsUsageError(f"Give the {kind} as a path inside the project.")
    path = Path(given).expanduser()
    base = root.resolve()
    full = (path if path.is_absolute() else (cwd or base) / path).resolve()
    if not full.is_relative_to(base):
        # Named as given: the project's own folder is the server's layout over REST.
        raise MlopsUsageError(
            f"The {kind} {given!r} is outside the project; a schedule runs files of its "
            "project (give a path inside it)."
        )
    if not full.is_file():
        raise MlopsUsageError(f"No {kind} file {given!r}; check the path.")
    return full.relative_to(base).as_posix()


def project_root(store: Store) -> Path:
    """The root of the project whose store this is (targets are stored relative to it)."""
    return store.config.root if store.config is not None else load_config().root


def target_path(target: str, root: Path) -> Path:
    """The file of a stored target (stored relative to the project root)."""
    return root / target


def _pipeline(kind: str, path: Path) -> Pipeline:
    return notebook_pipeline(path) if kind == "notebook" else load(path)


def check_target(
    kind: str, path: Path, *, env: str | None, params: Mapping[str, Any]
) -> dict[str, Any]:
    """Check a notebook or pipeline as ``run`` would with ``--env env -p params``.

    ``params`` holds text (``"0.5"``, typed by the target) or values that must already have
    the target's type (a JSON number of a REST body).

    Returns:
        ``params`` typed by the target, in the order given.

    Raises:
        MlopsUsageError: the spec does not load (a cycle), an unknown environment, an
            unknown parameter or one that is not of its default's type.
    """
    pipeline = _pipeline(kind, path)
    if kind == "notebook":
        (step,) = pipeline.steps
        overrides = parse_overrides({f"{step}.{key}": value for key, value in params.items()})
        resolved = resolve(pipeline, env, overrides)
        return {key: resolved[step][key] for key in overrides.get(step, {})}
    overrides = parse_overrides(params)
    resolved = resolve(pipeline, env, overrides)
    return {f"{step}.{key}": resolved[step][key] for step in overrides for key in overrides[step]}


def check_trigger(path: Path, *, env: str | None) -> None:
    """Check a pipeline a monitor triggers (a retrain) as ``run --env env`` would.

    Raises:
        MlopsUsageError: the spec does not load (a cycle) or an unknown environment.
    """
    resolve(load(path), env)


def defaults(kind: str, path: Path) -> dict[str, Any]:
    """The parameters' defaults (``STEP.KEY`` for a pipeline); ``{}`` when unreadable."""
    try:
        pipeline = _pipeline(kind, path)
        found = {
            f"{name}.{key}": value
            for name, step in pipeline.steps.items()
            for key, value in notebook_parameters(step.notebook).items()
        }
    except (MlopsUsageError, OSError):
        return {}
    if kind == "notebook":
        return {key.partition(".")[2]: value for key, value in found.items()}
    return found


def param_texts(params: Mapping[str, Any], like: Mapping[str, Any]) -> dict[str, str]:
    """Stored values as the ``-p`` texts that ``run`` types back into them."""
    return {key: text(value, like.get(key, UNTYPED)) for key, value in params.items()}


@dataclass(frozen=True)
class Checked:
    """A schedule's target as it stands now: its file and its parameters, typed and as text."""

    path: Path
    params: dict[str, Any]
    texts: dict[str, str]


def recheck(schedule: Schedule, root: Path) -> Checked:
    """Check a stored schedule again, as at its tick (its files may have changed).

    Raises:
        MlopsUsageError: what ``run`` would refuse now (the check of :func:`check_target`),
            or a target or trigger that is no longer a file of the project.
    """
    kind = schedule.target_kind
    project_file(kind, schedule.target, root=root)
    path = target_path(schedule.target, root)
    texts = param_texts(schedule.params, defaults(kind, path))
    params = check_target(kind, path, env=schedule.env, params=texts)
    monitor = schedule.monitor or {}
    trigger = monitor.get("trigger")
    if trigger:
        project_file("pipeline", trigger, root=root)
        check_trigger(target_path(trigger, root), env=monitor.get("trigger_env"))
    return Checked(path, params, texts)
