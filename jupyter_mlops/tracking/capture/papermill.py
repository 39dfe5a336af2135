"""Read the parameters papermill injected into a notebook, to log them as run params.

papermill inserts a cell whose source starts with the line ``# Parameters`` followed by one
assignment per parameter (``alpha = 0.6``). The magics call :func:`log_injected_params` once
per run; it finds the last such cell in the kernel's input history and logs every assignment
whose value is a literal (``float('nan')`` and infinities included). Other statements are
skipped, never executed.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Iterable, Mapping
from typing import Any

from jupyter_mlops.tracking.capture.values import param_text
from jupyter_mlops.tracking.run import Run

MARKER = "# Parameters"


def _history(source: Any) -> list[str]:
    if isinstance(source, str):
        return [source]
    namespace = getattr(source, "user_ns", None)
    if namespace is None and isinstance(source, Mapping):
        namespace = source
    if namespace is not None:
        history = namespace.get("In") or namespace.get("_ih")
        if history is None:
            manager = getattr(source, "history_manager", None)
            history = getattr(manager, "input_hist_raw", None)
        source = history or []
    if isinstance(source, Iterable):
        return [cell for cell in source if isinstance(cell, str)]
    return []


def _literal(node: ast.expr) -> Any:
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "float"
        and len(node.args) == 1
        and not node.keywords
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        value = float(node.args[0].value)  # papermill writes float('nan') / float('inf')
        if math.isnan(value) or math.isinf(value):
            return value
        raise ValueError("not a papermill float literal")
    return ast.literal_eval(node)


def parse_parameters(source: str) -> dict[str, Any]:
    """The literal assignments of one cell's source (other statements are skipped)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    params: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        if len(names) != len(targets):
            continue
        try:
            literal = _literal(value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
        for name in names:
            params[name] = literal
    return params


def injected_params(source: Any) -> dict[str, Any]:
    """The parameters papermill injected, from the kernel's input history.

    Args:
        source: An IPython shell, a notebook namespace holding ``In``, or the cell sources.

    Returns:
        Parameter name -> value; empty when no cell starts with ``# Parameters``.
    """
    for cell in reversed(_history(source)):
        first = cell.lstrip().split("\n", 1)[0].strip()
        if first == MARKER:
            return parse_parameters(cell)
    return {}


def log_injected_params(run: Run, source: Any) -> dict[str, Any]:
    """Log the papermill-injected parameters into ``run`` (call once per run).

    Args:
        run: The run to log into.
        source: An IPython shell, a notebook namespace holding ``In``, or the cell sources.

    Returns:
        The parameters logged.
    """
    params = injected_params(source)
    run.log_params({name: param_text(value) for name, value in params.items() if len(name) <= 250})
    return params
