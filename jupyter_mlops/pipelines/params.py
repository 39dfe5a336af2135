"""Step parameters: read from a notebook's ``parameters`` cell, checked and typed.

A notebook declares its parameters in the cell tagged ``parameters`` (papermill's convention)
as simple assignments with literal defaults (``C = 1.0``). Values from the spec, the
environment and ``-p step.key=value`` must name a declared parameter; the default's type
types a command-line string by the rule of :mod:`jupyter_mlops.keyvalue`: ``0.5`` becomes a
float for a float default, ``[a, b]`` a list, ``true``/``false`` a bool; a str stays a str.
"""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.keyvalue import fits, kind, typed
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


def parse_text(text: Any, default: Any) -> Any:
    """Read a ``-p`` value as the type of ``default`` (:func:`jupyter_mlops.keyvalue.typed`).

    Raises:
        ValueError: ``text`` cannot be read as that type.
    """
    return typed(text, default)


def _check(pipeline: Pipeline, step: Step, known: dict[str, Any], key: str, origin: str) -> None:
    if key not in known:
        names = ", ".join(sorted(known)) or "none"
        raise MlopsUsageError(
            f"{pipeline.path}: step {step.name!r}: unknown parameter {key!r} ({origin}); "
            f"known parameters of {step.notebook.name}: {names}"
        )


def parse_overrides(pairs: list[str] | Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``["train.C=0.5"]`` (or ``{"train.C": 0.5}``) as ``{"train": {"C": "0.5"}}``."""
    items = list(pairs.items()) if isinstance(pairs, Mapping) else [_pair(p) for p in pairs]
    out: dict[str, dict[str, Any]] = {}
    for dotted, value in items:
        step, dot, key = dotted.strip().partition(".")
        if not dot or not step or not key:
            raise _not_dotted(f"{dotted}={value}")
        out.setdefault(step, {})[key] = value
    return out


def _pair(pair: str) -> tuple[str, str]:
    dotted, sep, value = pair.partition("=")
    if not sep:
        raise _not_dotted(pair)
    return dotted, value


def _not_dotted(pair: str) -> MlopsUsageError:
    return MlopsUsageError(f"-p {pair!r}: expected STEP.KEY=VALUE (e.g. train.C=0.5).")


def resolve(
    pipeline: Pipeline,
    env: str | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Each step's parameters: notebook defaults < spec < environment < command line.

    Args:
        pipeline: The pipeline.
        env: The environment whose overlay applies.
        overrides: Command-line values: text typed by the default's type, or values that
            must already have it (:func:`jupyter_mlops.keyvalue.typed`).

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
                if not fits(value, known[key]):
                    raise MlopsUsageError(
                        f"{pipeline.path}: step {name!r}: parameter {key!r} ({origin}): "
                        f"expected {kind(known[key])}, got {kind(value)} {value!r}"
                    )
                values[key] = value
        for key, text in (overrides or {}).get(name, {}).items():
            _check(pipeline, step, known, key, "-p")
            try:
                values[key] = parse_text(text, known[key])
            except (ValueError, TypeError, ArithmeticError):
                raise MlopsUsageError(
                    f"{pipeline.path}: step {name!r}: parameter {key!r} (-p): "
                    f"{text!r} is not a {kind(known[key])}"
                ) from None
            except Exception as exc:  # noqa: BLE001 - a parser's own error: one line for the user
                raise MlopsUsageError(
                    f"{pipeline.path}: step {name!r}: parameter {key!r} (-p): "
                    f"{text!r} does not parse ({type(exc).__name__})"
                ) from None
        resolved[name] = values
    return resolved
