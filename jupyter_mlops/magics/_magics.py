"""The ``%mlops`` magic: a thin shim that hands the line (and cell) to the verb router."""

from __future__ import annotations

from IPython.core.interactiveshell import InteractiveShell
from IPython.core.magic import Magics, line_cell_magic, magics_class

from jupyter_mlops.magics._router import dispatch, manual
from jupyter_mlops.tracking.notebook import NotebookSession


@magics_class
class MlopsMagics(Magics):
    """``%mlops VERB …`` and ``%%mlops track …``."""

    def __init__(self, shell: InteractiveShell) -> None:
        super().__init__(shell)
        self.session = NotebookSession(shell)

    @line_cell_magic
    def mlops(self, line: str, cell: str | None = None) -> object:
        __tracebackhide__ = True
        return dispatch(self.session, line, cell)

    mlops.__doc__ = manual()
