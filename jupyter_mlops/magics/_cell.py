"""Run a cell magic's body the way IPython runs a cell, keeping the last expression's value.

Like ``%%time``: transform the IPython syntax, parse, apply the shell's AST transformers, exec
the statements and eval a trailing expression, whose value the magic returns so it shows as
``Out``. The code is registered with the shell's compiler so tracebacks show the cell's lines,
numbered as in the notebook (line 1 is the ``%%mlops`` line).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from types import CodeType

from IPython.core.interactiveshell import InteractiveShell


@dataclass(frozen=True)
class CompiledCell:
    """A cell body ready to run: its statements and its trailing expression, if any."""

    statements: CodeType | None
    expression: CodeType | None

    def run(self, shell: InteractiveShell) -> object:
        """Execute in the user's namespace; return the trailing expression's value (or None)."""
        __tracebackhide__ = True
        if self.statements is not None:
            exec(self.statements, shell.user_global_ns, shell.user_ns)  # noqa: S102 - the user's cell
        if self.expression is not None:
            return eval(self.expression, shell.user_global_ns, shell.user_ns)  # noqa: S307
        return None


def compile_cell(
    shell: InteractiveShell, body: str, *, header: str, execution_count: int | None
) -> CompiledCell:
    """Compile ``body``, the lines of a cell under its ``header`` (the ``%%mlops`` line).

    Raises:
        SyntaxError: for a body that does not parse, before anything runs.
    """
    transformed: str = shell.transform_cell(body)  # type: ignore[no-untyped-call]
    filename = shell.compile.cache(
        f"{header}\n{transformed}", execution_count or 0, raw_code=f"{header}\n{body}"
    )
    # The blank first line stands for the header, so line numbers match the notebook's.
    tree = shell.compile.ast_parse(f"\n{transformed}", filename=filename)
    tree = shell.transform_ast(tree)  # type: ignore[no-untyped-call]
    if tree is None:  # an AST transformer dropped the cell
        return CompiledCell(None, None)
    last = tree.body[-1] if tree.body else None
    expression = None
    if isinstance(last, ast.Expr):
        tree.body.pop()
        expression = _compile(shell, ast.Expression(last.value), filename, "eval")
    statements = _compile(shell, tree, filename, "exec") if tree.body else None
    return CompiledCell(statements, expression)


def _compile(shell: InteractiveShell, node: ast.AST, filename: str, mode: str) -> CodeType:
    # Through the shell's compiler, so the cell shares the session's __future__ flags.
    return shell.compile(node, filename, mode)  # type: ignore[arg-type]
