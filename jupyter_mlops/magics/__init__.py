"""``%load_ext jupyter_mlops``: the ``%mlops`` magics, one module per verb.

Loading registers the magic and its two cell events (``pre_run_cell``, ``post_run_cell``) and
does nothing else: no store is opened until a verb needs it.
"""

from __future__ import annotations

from IPython.core.interactiveshell import InteractiveShell

from jupyter_mlops.magics._magics import MlopsMagics


def _shell(ipython: object) -> InteractiveShell:
    if not isinstance(ipython, InteractiveShell):
        raise TypeError(f"Expected an IPython shell, got {type(ipython).__name__}.")
    return ipython


def load_ipython_extension(ipython: object) -> None:
    """Register ``%mlops`` and its cell events on ``ipython``."""
    shell = _shell(ipython)
    unload_ipython_extension(shell)  # a second load replaces the first, never doubles hooks
    magics = MlopsMagics(shell)
    shell.register_magics(magics)
    magics.session.register()


def unload_ipython_extension(ipython: object) -> None:
    """End line-form tracking, remove the events and the magic."""
    manager = _shell(ipython).magics_manager
    magics = manager.registry.pop(MlopsMagics.__name__, None)
    if not isinstance(magics, MlopsMagics):
        return
    magics.session.unregister()
    for kind in ("line", "cell"):
        manager.magics[kind].pop("mlops", None)


__all__ = ["load_ipython_extension", "unload_ipython_extension"]
