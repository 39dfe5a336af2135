"""``pipeline.yaml``: load and validate a pipeline spec into :class:`Pipeline`.

Every mistake is one line naming the file, the step and the key (``MlopsUsageError``), and is
found before anything runs: unknown keys, wrong types, a ``needs`` naming no step, a cycle.

A spec::

    name: churn
    promotion: [dev, staging, production]     # optional: the order environments are promoted in
    steps:
      prepare: {notebook: prepare.ipynb, params: {sample: 1.0}, outputs: [data/train.parquet]}
      train:   {notebook: train.ipynb, needs: [prepare], inputs: [data/train.parquet]}
      evaluate: {notebook: evaluate.ipynb, needs: [train], gate: "metrics.roc_auc >= 0.85"}
    environments:
      dev: {params: {prepare.sample: 0.1}}

Paths (notebooks, inputs, outputs) are relative to the spec's folder, the pipeline root.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.expressions import parse_gate
from jupyter_mlops.models.reproducible import parse_reproducible

if TYPE_CHECKING:
    from jupyter_mlops.pipelines.runner import PipelineResult

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_TOP_KEYS = ("name", "steps", "environments", "promotion", "description")
_STEP_KEYS = (
    "notebook",
    "params",
    "needs",
    "inputs",
    "outputs",
    "gate",
    "kernel",
    "timeout",
    "retries",
)
_ENV_KEYS = ("params",)


@dataclass(frozen=True)
class Step:
    """One step: a notebook run with parameters after the steps it needs."""

    name: str
    notebook: Path
    params: dict[str, Any] = field(default_factory=dict)
    needs: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    gate: str | None = None
    kernel: str = "python3"
    timeout: float | None = None
    retries: int = 0


@dataclass(frozen=True)
class Pipeline:
    """A validated pipeline; ``steps`` are in a topological order (needs first)."""

    name: str
    path: Path
    steps: dict[str, Step]
    environments: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    promotion: tuple[str, ...] = ()
    description: str = ""

    @property
    def root(self) -> Path:
        """The folder paths in the spec are relative to."""
        return self.path.parent

    def downstream(self, step: str) -> list[str]:
        """Every step that (transitively) needs ``step``, in order."""
        found = {step}
        for name, spec in self.steps.items():
            if any(n in found for n in spec.needs):
                found.add(name)
        return [n for n in self.steps if n in found and n != step]

    def upstream(self, step: str) -> list[str]:
        """Every step ``step`` (transitively) needs, in order."""
        found: set[str] = set()
        todo = list(self.steps[step].needs)
        while todo:
            name = todo.pop()
            if name not in found:
                found.add(name)
                todo.extend(self.steps[name].needs)
        return [n for n in self.steps if n in found]

    def env_params(self, env: str | None) -> dict[str, dict[str, Any]]:
        """The parameter overlay of environment ``env`` (``{step: {key: value}}``)."""
        if env is None:
            return {}
        if env not in self.environments:
            known = ", ".join(sorted(self.environments)) or "none"
            raise MlopsUsageError(
                f"{self.path}: unknown environment {env!r}; known environments: {known}."
            )
        return self.environments[env]

    def run(self, *, env: str | None = None, **options: Any) -> PipelineResult:
        """Run the pipeline; see :func:`jupyter_mlops.pipelines.run_pipeline` for options."""
        # The runner (store, tracking, steps) loads when a run starts, not when a spec is read.
        from jupyter_mlops.pipelines.runner import run_pipeline

        return run_pipeline(self, env=env, **options)


def _err(path: Path, where: str, message: str) -> MlopsUsageError:
    return MlopsUsageError(f"{path}: {where}: {message}" if where else f"{path}: {message}")


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _strings(path: Path, where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _err(path, where, f"expected a list of strings, got {_type_name(value)}")
    return tuple(value)


def _mapping(path: Path, where: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _err(path, where, f"expected a mapping, got {_type_name(value)}")
    for key in value:
        if not isinstance(key, str):
            raise _err(path, where, f"keys must be strings, got {key!r}")
    return value


def _unknown(path: Path, where: str, data: dict[str, Any], allowed: tuple[str, ...]) -> None:
    for key in data:
        if key not in allowed:
            raise _err(path, where, f"unknown key {key!r} (allowed: {', '.join(allowed)})")


def _relative(path: Path, where: str, value: str) -> str:
    if Path(value).is_absolute() or ".." in Path(value).parts:
        raise _err(path, where, f"{value!r} must be a path inside the pipeline folder")
    return value


def _step(path: Path, name: str, data: Any) -> Step:
    where = f"step {name!r}"
    if not _NAME_RE.match(name):
        raise _err(path, where, "a step name is letters, digits, '_', '-' or '.'")
    data = _mapping(path, where, data)
    _unknown(path, where, data, _STEP_KEYS)
    if "notebook" not in data:
        raise _err(path, f"{where}: key 'notebook'", "missing")
    notebook = data["notebook"]
    if not isinstance(notebook, str) or not notebook.endswith(".ipynb"):
        raise _err(path, f"{where}: key 'notebook'", "expected a path ending in .ipynb")
    nb_path = path.parent / _relative(path, f"{where}: key 'notebook'", notebook)
    if not nb_path.is_file():
        raise _err(path, f"{where}: key 'notebook'", f"no such notebook {notebook!r}")
    params = _mapping(path, f"{where}: key 'params'", data.get("params") or {})
    lists = {
        key: _strings(path, f"{where}: key {key!r}", data.get(key) or [])
        for key in ("needs", "inputs", "outputs")
    }
    for key in ("inputs", "outputs"):
        for item in lists[key]:
            _relative(path, f"{where}: key {key!r}", item)
    gate = data.get("gate")
    if gate is not None:
        if not isinstance(gate, str):
            raise _err(path, f"{where}: key 'gate'", f"expected a string, got {_type_name(gate)}")
        try:
            if parse_reproducible(gate) is None:
                parse_gate(gate)
        except MlopsUsageError as exc:
            raise _err(path, f"{where}: key 'gate'", str(exc)) from None
    kernel = data.get("kernel", "python3")
    if not isinstance(kernel, str) or not kernel:
        raise _err(path, f"{where}: key 'kernel'", "expected a kernel name")
    timeout = data.get("timeout")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0
    ):
        raise _err(path, f"{where}: key 'timeout'", "expected a positive number of seconds")
    retries = data.get("retries", 0)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise _err(path, f"{where}: key 'retries'", "expected a whole number >= 0")
    return Step(
        name=name,
        notebook=nb_path,
        params=dict(params),
        needs=lists["needs"],
        inputs=lists["inputs"],
        outputs=lists["outputs"],
        gate=gate,
        kernel=kernel,
        timeout=None if timeout is None else float(timeout),
        retries=retries,
    )


def _order(path: Path, steps: dict[str, Step]) -> dict[str, Step]:
    for step in steps.values():
        for need in step.needs:
            if need not in steps:
                raise _err(
                    path,
                    f"step {step.name!r}: key 'needs'",
                    f"no step named {need!r} (steps: {', '.join(steps)})",
                )
    ordered: dict[str, Step] = {}
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in ordered:
            return
        if name in visiting:
            cycle = [*visiting[visiting.index(name) :], name]
            raise _err(path, f"step {name!r}: key 'needs'", f"cycle {' -> '.join(cycle)}")
        visiting.append(name)
        for need in steps[name].needs:
            visit(need)
        visiting.pop()
        ordered[name] = steps[name]

    for name in steps:
        visit(name)
    return ordered


def _environments(
    path: Path, data: Any, steps: dict[str, Step]
) -> dict[str, dict[str, dict[str, Any]]]:
    envs: dict[str, dict[str, dict[str, Any]]] = {}
    for env, body in _mapping(path, "key 'environments'", data or {}).items():
        where = f"environment {env!r}"
        body = _mapping(path, where, body if body is not None else {})
        _unknown(path, where, body, _ENV_KEYS)
        overlay: dict[str, dict[str, Any]] = {}
        for dotted, value in _mapping(
            path, f"{where}: key 'params'", body.get("params") or {}
        ).items():
            step, sep, key = dotted.partition(".")
            if not sep or not key:
                raise _err(path, f"{where}: key {dotted!r}", "expected STEP.PARAM")
            if step not in steps:
                raise _err(
                    path,
                    f"{where}: key {dotted!r}",
                    f"no step named {step!r} (steps: {', '.join(steps)})",
                )
            overlay.setdefault(step, {})[key] = value
        envs[env] = overlay
    return envs


def parse(data: Any, path: Path) -> Pipeline:
    """Validate the parsed YAML ``data`` of the spec at ``path``."""
    data = _mapping(path, "", data)
    _unknown(path, "", data, _TOP_KEYS)
    name = data.get("name")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise _err(path, "key 'name'", "expected a pipeline name (letters, digits, '_', '-', '.')")
    raw_steps = _mapping(path, "key 'steps'", data.get("steps"))
    if not raw_steps:
        raise _err(path, "key 'steps'", "a pipeline needs at least one step")
    steps = _order(path, {n: _step(path, n, body) for n, body in raw_steps.items()})
    envs = _environments(path, data.get("environments"), steps)
    promotion = _strings(path, "key 'promotion'", data.get("promotion") or [])
    for env in promotion:
        if env not in envs:
            raise _err(path, "key 'promotion'", f"no environment named {env!r}")
    if len(set(promotion)) != len(promotion):
        raise _err(path, "key 'promotion'", "an environment is listed twice")
    description = data.get("description") or ""
    return Pipeline(
        name=name,
        path=path,
        steps=steps,
        environments=envs,
        promotion=promotion,
        description=str(description),
    )


@functools.cache
def _unique_keys_loader() -> Any:
    """A safe YAML loader (libyaml when present) that refuses a key given twice in a mapping.

    YAML's own rule (the last one wins) would silently drop a step or a param.
    """
    import yaml  # loaded on the first spec read: no command pays for it at start-up

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class UniqueKeys(base):  # type: ignore[valid-type,misc]
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"the key {key!r} is given twice", key_node.start_mark
                    )
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return UniqueKeys


def load(path: str | os.PathLike[str]) -> Pipeline:
    """Load and validate a pipeline spec.

    Args:
        path: The ``pipeline.yaml`` file.

    Returns:
        The pipeline, steps in a topological order.

    Raises:
        MlopsUsageError: One line naming the file, the step and the key.
    """
    # PyYAML is a slow import: only when a spec is read, not when this module is imported.
    import yaml

    if not isinstance(path, str | os.PathLike):
        raise MlopsUsageError(f"Give the pipeline spec's path, e.g. 'pipeline.yaml', not {path!r}.")
    spec = Path(path).absolute()
    try:
        text = spec.read_text(encoding="utf-8")
    except OSError as exc:
        raise MlopsUsageError(f"{spec}: cannot read the pipeline spec ({exc.strerror}).") from None
    try:
        data = yaml.load(text, Loader=_unique_keys_loader())  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "YAML"
        problem = getattr(exc, "problem", None) or str(exc)
        raise MlopsUsageError(f"{spec}: {where}: invalid YAML: {problem}") from None
    return parse(data, spec)
