"""Step parameters: read from a notebook's ``parameters`` cell, checked and typed.

A notebook declares its parameters in the cell tagged ``parameters`` (papermill's convention)
as simple assignments with literal defaults (``C = 1.0``). Values from the spec, the
environment and ``-p step.key=value`` must name a declared parameter; the default's type
guides parsing a command-line string: ``0.5`` becomes a float for a float default, ``[a, b]``
a list (YAML flow syntax), ``true``/``false`` a bool; an int stays an int, a str stays a str.
"""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path
from typing import Any

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.pipelines.spec import Pipeline, Step

_cache: dict[tuple[str, int, int], dict[str, Any]] = {}


def _cell_source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def read_notebook(path: Path) -> dict[str, Any]:
    """The notebook's JSON (plain ``json``: cheaper than nbformat for reading sources)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MlopsUsageError(f"{path}: not a readable notebook ({exc}).") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise MlopsUsageError(f"{path}: not a notebook (no cells).")
    return data


def notebook_parameters(path: Path) -> dict[str, Any]:
    """The literal defaults of the notebook's ``parameters`` cell (``{}`` when it has none).

    Cached by (path, size, mtime_ns), so asking again for an unchanged notebook costs a stat.
    """
    st = os.stat(path)
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key in _cache:
        return dict(_cache[key])
    found: dict[str, Any] = {}
    for cell in read_notebook(path)["cells"]:
        tags = (cell.get("metadata") or {}).get("tags") or []
        if cell.get("cell_type") != "code" or "parameters" not in tags:
            continue
        try:
            tree = ast.parse(_cell_source(cell))
        except SyntaxError as exc:
            raise MlopsUsageError(f"{path}: the parameters cell does not parse: {exc}") from None
        for node in tree.body:
            targets: list[ast.expr] = []
            value: ast.expr | None = None
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets, value = [node.target], node.value
            for target in targets:
                if isinstance(target, ast.Name) and value is not None:
                    try:
                        found[target.id] = ast.literal_eval(value)
                    except (ValueError, TypeError, SyntaxError):
                        continue
    _cache[key] = found
    return dict(found)


def _kind(value: Any) -> str:
    if value is None:
        return "any"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, dict):
        return "dict"
    return type(value).__name__


def _fits(value: Any, default: Any) -> bool:
    kind = _kind(default)
    if kind == "any":
        return True
    if kind == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "list":
        return isinstance(value, list | tuple)
    return _kind(value) == kind


def parse_text(text: str, default: Any) -> Any:
    """Parse a command-line value as the type of ``default``.

    Raises:
        ValueError: ``text`` cannot be read as that type.
    """
    kind = _kind(default)
    if kind == "str":
        return text
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text)
    if kind == "bool":
        lowered = text.strip().lower()
        if lowered in ("true", "yes", "1"):
            return True
        if lowered in ("false", "no", "0"):
            return False
        raise ValueError(text)
    # PyYAML is a slow import: only for a value the simple rules above did not read.
    import yaml

    value = yaml.safe_load(text)
    if kind == "any":
        return value
    if not _fits(value, default):
        raise ValueError(text)
    return list(value) if kind == "list" else value


def _check(pipeline: Pipeline, step: Step, known: dict[str, Any], key: str, origin: str) -> None:
    if key not in known:
        names = ", ".join(sorted(known)) or "none"
        raise MlopsUsageError(
            f"{pipeline.path}: step {step.name!r}: unknown parameter {key!r} ({origin}); "
            f"known parameters of {step.notebook.name}: {names}"
        )


def parse_overrides(pairs: list[str]) -> dict[str, dict[str, str]]:
    """``["train.C=0.5"]`` as ``{"train": {"C": "0.5"}}``."""
    out: dict[str, dict[str, str]] = {}
    for pair in pairs:
        dotted, sep, value = pair.partition("=")
        step, dot, key = dotted.strip().partition(".")
        if not sep or not dot or not step or not key:
            raise MlopsUsageError(f"-p {pair!r}: expected STEP.KEY=VALUE (e.g. train.C=0.5).")
        out.setdefault(step, {})[key] = value
    return out


def resolve(
    pipeline: Pipeline,
    env: str | None = None,
    overrides: dict[str, dict[str, str]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Each step's parameters: notebook defaults < spec < environment < command line.

    Args:
        pipeline: The pipeline.
        env: The environment whose overlay applies.
        overrides: Command-line values (strings, parsed by the default's type).

    Returns:
        ``{step: {key: value}}`` with every declared parameter.

    Raises:
        MlopsUsageError: An unknown step or parameter, or a value of the wrong type.
    """
    overlay = pipeline.env_params(env)
    for name in overrides or {}:
        if name not in pipeline.steps:
            raise MlopsUsageError(
                f"{pipeline.path}: -p: no step named {name!r} (steps: {', '.join(pipeline.steps)})"
            )
    resolved: dict[str, dict[str, Any]] = {}
    for name, step in pipeline.steps.items():
        known = notebook_parameters(step.notebook)
        values = dict(known)
        layers = [("spec", step.params), (f"environment {env!r}", overlay.get(name, {}))]
        for origin, layer in layers:
            for key, value in layer.items():
                _check(pipeline, step, known, key, origin)
                if not _fits(value, known[key]):
                    raise MlopsUsageError(
                        f"{pipeline.path}: step {name!r}: parameter {key!r} ({origin}): "
                        f"expected {_kind(known[key])}, got {_kind(value)} {value!r}"
                    )
                values[key] = value
        for key, text in (overrides or {}).get(name, {}).items():
            _check(pipeline, step, known, key, "-p")
            try:
                values[key] = parse_text(text, known[key])
            except (ValueError, TypeError, ArithmeticError):
                raise MlopsUsageError(
                    f"{pipeline.path}: step {name!r}: parameter {key!r} (-p): "
                    f"{text!r} is not a {_kind(known[key])}"
                ) from None
            except Exception as exc:  # noqa: BLE001 - yaml errors: one line for the user
                raise MlopsUsageError(
                    f"{pipeline.path}: step {name!r}: parameter {key!r} (-p): "
                    f"{text!r} does not parse ({type(exc).__name__})"
                ) from None
        resolved[name] = values
    return resolved
