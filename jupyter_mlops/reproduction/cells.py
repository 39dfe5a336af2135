"""What a recorded cell defines and uses, read with ``ast`` (never executed).

A cell's source is first made plain Python: the ``%mlops`` lines and a ``%%mlops track``
header are dropped (the reproduction tracks every cell itself), and other IPython syntax
(``%matplotlib``, ``!pip``) is translated by IPython's own transformer.

``defines`` are the names a cell binds at top level (assignments, imports, ``def``,
``class``) or mutates (``model.fit(...)``, ``df["x"] = ...``, ``del d[k]``): a later cell
that reads the name may depend on it. ``uses`` are the names it reads anywhere, function
bodies included. ``effects`` is True when the cell may change the world beyond its names (a
statement that calls an unknown plain function for its effect, ``set_seed(0)``; a shell or
magic command; ``global``; ``import *``; code that does not parse): such a cell is kept when
slicing, since nothing can rule its effect out.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

#: Lines that drive tracking itself: the reproduction's own tracking replaces them.
_MLOPS_LINE = re.compile(
    r"^\s*(%mlops\b|%(re)?load_ext\s+jupyter_mlops\b|__import__\('jupyter_mlops\.reproduction\.)"
)
_MLOPS_CELL = re.compile(r"^\s*%%mlops\b")
#: Plain functions whose call changes nothing a later cell could read.
PURE_CALLS = frozenset(
    {
        "print", "display", "len", "repr", "str", "int", "float", "bool", "list", "dict",
        "set", "tuple", "sorted", "sum", "min", "max", "abs", "round", "type", "isinstance",
        "range", "enumerate", "zip", "map", "filter", "any", "all", "format", "hasattr",
        "getattr", "id", "hash", "iter", "next", "reversed", "vars", "dir", "help",
    }
)  # fmt: skip


@dataclass(frozen=True)
class CellCode:
    """A recorded cell made runnable, with the names it defines and uses."""

    code: str
    defines: frozenset[str]
    uses: frozenset[str]
    effects: bool
    imports: bool
    calls: bool


def runnable(source: str) -> str:
    """``source`` without the lines that drive tracking (``%mlops ...``, ``%%mlops`` header)."""
    lines = source.splitlines()
    if lines and _MLOPS_CELL.match(lines[0]):
        lines = lines[1:]
    return "\n".join(line for line in lines if not _MLOPS_LINE.match(line)).strip("\n")


#: An IPython line (``%matplotlib inline``, ``!pip install x``) as a call for the reader: an
#: effect nobody can rule out. Much cheaper than IPython's transformer, used for the rest.
_IPYTHON_LINE = re.compile(r"^(\s*)[%!](?!%).*$", re.MULTILINE)
_STAND_IN = "get_ipython"


def _python(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except SyntaxError:
        pass
    try:
        return ast.parse(_IPYTHON_LINE.sub(rf"\1{_STAND_IN}().system()", code))
    except SyntaxError:
        pass
    try:
        # start-up: IPython's transformer only for cells holding other IPython syntax.
        from IPython.core.inputtransformer2 import TransformerManager

        return ast.parse(TransformerManager().transform_cell(code))  # type: ignore[no-untyped-call]
    except (SyntaxError, ImportError, ValueError):
        return None


def _base(node: ast.expr) -> str | None:
    """The name at the root of ``a.b[c].d``, if any."""
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Starred):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


class _Reader(ast.NodeVisitor):
    def __init__(self) -> None:
        self.defines: set[str] = set()
        self.uses: set[str] = set()
        self.effects = False
        self.imports = False
        self.calls = False
        self.depth = 0  # inside a def / class / lambda

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.uses.add(node.id)
        elif self.depth == 0:
            self.defines.add(node.id)

    def _target(self, target: ast.expr) -> None:
        if isinstance(target, ast.Attribute | ast.Subscript) and self.depth == 0:
            base = _base(target)
            if base is not None:
                self.defines.add(base)
                self.uses.add(base)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._target(target)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._target(node.target)
        if isinstance(node.target, ast.Name):
            self.uses.add(node.target.id)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._target(node.target)
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._target(target)
        self.generic_visit(node)

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        self.imports = True
        for alias in node.names:
            if alias.name == "*":
                self.effects = True  # binds names nobody can list
                continue
            name = alias.asname or alias.name.split(".")[0]
            if self.depth == 0:
                self.defines.add(name)

    def visit_Import(self, node: ast.Import) -> None:
        self._import(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self._import(node)

    def _scope(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        if self.depth == 0:
            self.defines.add(node.name)
        for decorator in node.decorator_list:
            self.visit(decorator)
        self.depth += 1
        for child in node.body:
            self.visit(child)
        self.depth -= 1

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._scope(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._scope(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._scope(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    def visit_Global(self, node: ast.Global) -> None:
        self.defines.update(node.names)  # a function rebinding module names when called
        self.effects = True

    def visit_Expr(self, node: ast.Expr) -> None:
        # A call whose value is thrown away is made for its effect: unless it is a method of
        # a named object (counted as changing that object) or a known pure function, keep it.
        call = node.value
        if self.depth == 0 and isinstance(call, ast.Call):
            func = call.func
            if isinstance(func, ast.Name):
                self.effects = self.effects or func.id not in PURE_CALLS
            elif not (isinstance(func, ast.Attribute) and _base(func.value) is not None):
                self.effects = True
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        self.calls = True
        func = node.func
        if isinstance(func, ast.Attribute) and self.depth == 0:
            base = _base(func.value)
            if base is not None:
                self.defines.add(base)  # a method may change its object: model.fit(X)
        self.generic_visit(node)


def read_cell(source: str) -> CellCode:
    """The runnable code of a recorded cell and what it defines and uses."""
    code = runnable(source)
    tree = _python(code)
    if tree is None:
        return CellCode(code, frozenset(), frozenset(), True, False, True)
    reader = _Reader()
    reader.visit(tree)
    return CellCode(
        code,
        frozenset(reader.defines),
        frozenset(reader.uses),
        reader.effects,
        reader.imports,
        reader.calls,
    )
