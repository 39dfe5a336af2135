"""The Python API page: ``jupyter_mlops.__all__`` and its namespaces, by introspection."""

from __future__ import annotations

import importlib
import inspect
import types
from typing import Any

import jupyter_mlops
from jupyter_mlops._docgen._markdown import cell, first_paragraph, portable

#: The namespaces documented in their own sections, in this order.
NAMESPACES = ("data", "interop", "models", "monitor", "pipelines", "scheduler", "widgets")


class _Text:
    """An annotation shown as written (``str | None``), not as a quoted string."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def signature(obj: Any, *, bound: bool = False) -> str:
    """``obj``'s call signature with annotations as written, or "" when it has none.

    ``bound`` drops the first parameter (``self`` or ``cls``) of a method.
    """
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return ""
    params = [
        p.replace(annotation=_Text(p.annotation)) if isinstance(p.annotation, str) else p
        for p in sig.parameters.values()
    ][1 if bound else 0 :]
    ret = sig.return_annotation
    sig = sig.replace(
        parameters=params, return_annotation=_Text(ret) if isinstance(ret, str) else ret
    )
    return portable(str(sig))


def _kind(obj: Any) -> str:
    if inspect.isclass(obj):
        return "exception" if issubclass(obj, BaseException) else "class"
    if callable(obj):
        return "function"
    return "constant"


def _members(cls: type) -> list[tuple[str, Any]]:
    """Public methods and properties ``cls`` defines (not those of ``object``/``Exception``)."""
    found = []
    for name, value in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(value, property | staticmethod | classmethod) or inspect.isfunction(value):
            found.append((name, value))
    return found


def _entry(qualname: str, obj: Any) -> list[str]:
    kind = _kind(obj)
    out = [f"### `{qualname}`", ""]
    if kind == "constant":
        out += [f"*constant* = `{cell(portable(repr(obj)))}`", ""]
        return out
    sig = signature(obj)
    out += [f"*{kind}*", "", f"```python\n{qualname.rsplit('.', 1)[-1]}{sig}\n```", ""]
    summary = first_paragraph(inspect.getdoc(obj))
    if summary and not summary.startswith(f"{getattr(obj, '__name__', '')}("):
        out += [summary, ""]
    if inspect.isclass(obj) and not issubclass(obj, BaseException):
        rows = []
        for name, member in _members(obj):
            if isinstance(member, property):
                shown, doc = f"`.{name}`", first_paragraph(inspect.getdoc(member))
            else:
                func = member.__func__ if isinstance(member, staticmethod | classmethod) else member
                bound = not isinstance(member, staticmethod)
                shown = f"`.{name}{cell(signature(func, bound=bound))}`"
                doc = first_paragraph(inspect.getdoc(func))
            rows.append(f"| {shown} | {cell(doc)} |")
        if rows:
            out += ["| member | what |", "|---|---|", *rows, ""]
    return out


def _section(title: str, prefix: str, names: list[str], source: Any) -> list[str]:
    out = [f"## {title}", ""]
    doc = first_paragraph(inspect.getdoc(source)) if isinstance(source, types.ModuleType) else ""
    if doc:
        out += [doc, ""]
    for name in names:
        obj = getattr(source, name)
        if isinstance(obj, types.ModuleType) and callable(getattr(obj, name, None)):
            obj = getattr(obj, name)  # a callable module, such as mlops.lineage
        out += _entry(f"{prefix}{name}", obj)
    return out


def page() -> str:
    """Markdown for the public Python API."""
    top = [n for n in jupyter_mlops.__all__ if n not in NAMESPACES and not n.startswith("__")]
    out = [
        "# Python API",
        "",
        "`import jupyter_mlops as mlops`. Every name below is public and stable; everything",
        "else is private. Namespaces (`mlops.data`, `mlops.models`, ...) load on first use.",
        "",
        "The version is `mlops.__version__`.",
        "",
    ]
    sections: list[tuple[str, list[str], Any]] = [("mlops", top, jupyter_mlops)]
    for ns in NAMESPACES:
        if ns not in jupyter_mlops.__all__:
            continue
        try:
            module = importlib.import_module(f"jupyter_mlops.{ns}")
        except ImportError:
            continue  # declared but not built yet; regenerating picks it up when it lands
        names = [n for n in getattr(module, "__all__", []) if not n.startswith("_")]
        sections.append((f"mlops.{ns}", names, module))
    for title, names, _ in sections:  # an index: every name, linked to its entry
        links = ", ".join(f"[{n}](#{(title + '.' + n).replace('.', '').lower()})" for n in names)
        out += [f"- **{title}**: {links}"]
    out.append("")
    for title, names, source in sections:
        out += _section(title, f"{title}.", names, source)
    return "\n".join(out)
