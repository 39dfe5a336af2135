"""The names a notebook cell defines and the names it uses, read from its source with ``ast``.

A cell *defines* what it binds at the top level: assignments (also augmented, annotated and
walrus), ``for`` and ``with … as`` targets, imports, ``def`` and ``class``, ``except … as``,
``match`` captures and ``del``; and what it changes in place by assignment (``X[0] = …``,
``m.attr = …``). It *uses* the names it loads that it has not defined earlier in the same
cell; a function's body counts for the names it reads from the notebook, whenever it is called.

IPython syntax (``%magic``, ``!shell``, ``x = !ls``) is transformed first, as the kernel
does; a cell whose body is Python under a cell magic (``%%mlops track``, ``%%time``) is read
as that body. A cell that still does not parse defines and uses nothing.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from functools import lru_cache

from IPython.core.inputtransformer2 import TransformerManager

#: Cell magics whose body is Python run in the user's namespace.
_PYTHON_CELL_MAGICS = frozenset({"mlops", "time", "timeit", "capture", "prun", "debug"})
#: Line magics running their argument as a statement in the user's namespace (``%time x = f()``).
_PYTHON_LINE_MAGICS = frozenset({"time", "prun"})
#: Cells up to this many characters have their names cached.
_CACHED_SIZE = 20_000
#: Loads the IPython transforms add, not the user's code.
_TRANSFORM_NAMES = frozenset({"get_ipython"})


def names_defined_used(source: str) -> tuple[set[str], set[str]]:
    """Return the names ``source`` defines and the names it uses (see the module docstring)."""
    # Re-executed cells are read once; a huge cell is not kept in the cache.
    analyze = _analyze if len(source) <= _CACHED_SIZE else _analyze.__wrapped__
    defined, used = analyze(source)
    return set(defined), set(used)


def python_body(source: str) -> str:
    """``source`` without a leading ``%%magic`` line whose body is Python (else unchanged)."""
    stripped = source.lstrip()
    if not stripped.startswith("%%"):
        return source
    header, _, body = stripped.partition("\n")
    words = header[2:].split()
    return body if words and words[0] in _PYTHON_CELL_MAGICS else source


@lru_cache(maxsize=2048)
def _analyze(source: str) -> tuple[frozenset[str], frozenset[str]]:
    tree = _parse(python_body(source))
    if tree is None:
        return frozenset(), frozenset()
    scan = _CellScan()
    scan.statements(tree.body)
    used = scan.used | (scan.later - scan.defined)
    return frozenset(scan.defined), frozenset(used - _TRANSFORM_NAMES)


def _parse(source: str) -> ast.Module | None:
    # Plain Python parses as it is (IPython's transforms would not change it), and 4x faster.
    try:
        return ast.parse(source)
    except Exception:  # noqa: BLE001, S110 - IPython syntax, transformed below
        pass
    try:
        return ast.parse(_transformer().transform_cell(source))
    except Exception:  # noqa: BLE001 - a cell we cannot read defines and uses nothing
        return None


@lru_cache(maxsize=1)
def _transformer() -> TransformerManager:
    # IPython's own cell transforms (magics, !shell, help?).
    return TransformerManager()  # type: ignore[no-untyped-call]


class _CellScan:
    """The top level of a cell, statement by statement, in execution order."""

    def __init__(self) -> None:
        self.defined: set[str] = set()
        self.used: set[str] = set()
        #: Names read by function bodies, resolved against the whole cell at the end.
        self.later: set[str] = set()

    def piece(self, nodes: Iterable[ast.AST | None]) -> None:
        names = _Names()
        for node in nodes:
            if node is not None:
                names.visit(node)
        self.used.update(n for n in names.loads if n not in self.defined)
        self.later |= names.later
        self.defined |= names.binds | names.changed

    def statements(self, body: Iterable[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.For | ast.AsyncFor):
                self.piece([stmt.iter, stmt.target])
                self.statements(stmt.body)
                self.statements(stmt.orelse)
            elif isinstance(stmt, ast.While | ast.If):
                self.piece([stmt.test])
                self.statements(stmt.body)
                self.statements(stmt.orelse)
            elif isinstance(stmt, ast.With | ast.AsyncWith):
                for item in stmt.items:
                    self.piece([item.context_expr, item.optional_vars])
                self.statements(stmt.body)
            elif isinstance(stmt, ast.Try | ast.TryStar):
                self.statements(stmt.body)
                for handler in stmt.handlers:
                    self.piece([handler.type])
                    if handler.name:
                        self.defined.add(handler.name)
                    self.statements(handler.body)
                self.statements(stmt.orelse)
                self.statements(stmt.finalbody)
            elif isinstance(stmt, ast.Match):
                self.piece([stmt.subject])
                for case in stmt.cases:
                    self.piece([case.pattern])
                    self.piece([case.guard])
                    self.statements(case.body)
            elif (inner := _line_magic_body(stmt)) is not None:
                self.statements(inner)
            else:
                self.piece([stmt])


def _line_magic_body(stmt: ast.stmt) -> list[ast.stmt] | None:
    """The statements of ``%time STATEMENT`` (transformed to ``get_ipython().run_line_magic``)."""
    if not isinstance(stmt, ast.Expr) or not isinstance(stmt.value, ast.Call):
        return None
    call = stmt.value
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr == "run_line_magic"):
        return None
    args = [a.value if isinstance(a, ast.Constant) else None for a in call.args]
    if len(args) != 2 or args[0] not in _PYTHON_LINE_MAGICS or not isinstance(args[1], str):
        return None
    tree = _parse(args[1])
    return None if tree is None else tree.body


class _Names(ast.NodeVisitor):
    """Loads and bindings of one scope's code, with nested scopes folded in."""

    def __init__(self) -> None:
        self.loads: list[str] = []
        self.binds: set[str] = set()
        #: Names changed in place (``X[0] = …``, ``X.a = …``): defined at the top level only.
        self.changed: set[str] = set()
        #: Names bound by a walrus inside a comprehension: they belong to the enclosing scope.
        self.walrus: set[str] = set()
        self.declared: set[str] = set()  # global / nonlocal
        #: Names read by bodies that run later (functions, lambdas).
        self.later: set[str] = set()

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.loads.append(node.id)
        else:
            self.binds.add(node.id)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if isinstance(node.target, ast.Name):  # ``x += 1`` reads x first
            self.loads.append(node.target.id)
        self.generic_visit(node)

    def _changed(self, node: ast.Subscript | ast.Attribute) -> None:
        if not isinstance(node.ctx, ast.Load):
            base: ast.expr = node
            while isinstance(base, ast.Subscript | ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name):
                self.changed.add(base.id)
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        self._changed(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self._changed(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.binds.add(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name != "*":
                self.binds.add(alias.asname or alias.name)

    def visit_Global(self, node: ast.Global) -> None:
        self.declared.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.declared.update(node.names)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name):
            self.binds.add(node.target.id)
            self.walrus.add(node.target.id)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.binds.add(node.name)
        self.generic_visit(node)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.name:
            self.binds.add(node.name)
        self.generic_visit(node)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self.binds.add(node.name)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        if node.rest:
            self.binds.add(node.rest)
        self.generic_visit(node)

    # -- nested scopes -------------------------------------------------------
    def _signature(self, args: ast.arguments) -> set[str]:
        """Visit what a signature evaluates now (defaults, annotations); return its params."""
        params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        for extra in (args.vararg, args.kwarg):
            if extra is not None:
                params.append(extra)
        for default in [*args.defaults, *args.kw_defaults]:
            if default is not None:
                self.visit(default)
        for param in params:
            if param.annotation is not None:
                self.visit(param.annotation)
        return {p.arg for p in params}

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.binds.add(node.name)
        for decorator in node.decorator_list:
            self.visit(decorator)
        params = self._signature(node.args)
        if node.returns is not None:
            self.visit(node.returns)
        self.later |= _free(node.body, params)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._function(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        params = self._signature(node.args)
        self.later |= _free([node.body], params)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.binds.add(node.name)
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(expr)
        inner = _Names()
        for stmt in node.body:
            inner.visit(stmt)
        self.loads.extend(n for n in inner.loads if n not in inner.binds)
        self.later |= inner.later  # methods do not see the class body's names

    def _comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp
    ) -> None:
        first, *rest = node.generators
        self.visit(first.iter)  # evaluated in the enclosing scope
        inner = _Names()
        inner.visit(first.target)
        for cond in first.ifs:
            inner.visit(cond)
        for gen in rest:
            inner.visit(gen.iter)
            inner.visit(gen.target)
            for cond in gen.ifs:
                inner.visit(cond)
        if isinstance(node, ast.DictComp):
            inner.visit(node.key)
            inner.visit(node.value)
        else:
            inner.visit(node.elt)
        local = inner.binds - inner.walrus
        self.loads.extend(n for n in inner.loads if n not in local)
        self.later |= inner.later
        self.binds |= inner.walrus

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self._comprehension(node)

    def visit_SetComp(self, node: ast.SetComp) -> None:
        self._comprehension(node)

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> None:
        self._comprehension(node)

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node)


def _free(body: list[ast.stmt] | list[ast.expr], params: set[str]) -> set[str]:
    """The names a function body reads from outside: its loads minus its own locals."""
    inner = _Names()
    for node in body:
        inner.visit(node)
    local = (inner.binds | params) - inner.declared
    return (set(inner.loads) | inner.later) - local
