"""A real IPython kernel run cell by cell, in any order, as a user runs a notebook."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import KernelManager


@dataclass
class Executed:
    """What one cell gave: its status, what it printed, its displays' plain text."""

    status: str
    stdout: str = ""
    stderr: str = ""
    texts: list[str] = field(default_factory=list)
    error: str | None = None


class Kernel:
    """A started kernel: :meth:`run` executes one cell and collects its outputs."""

    def __init__(self, manager: KernelManager) -> None:
        self.manager = manager
        self.client = manager.client()

    def run(self, code: str, *, check: bool = True) -> Executed:
        got = Executed("ok")

        def hook(msg: dict[str, Any]) -> None:
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                if content["name"] == "stdout":
                    got.stdout += content["text"]
                else:
                    got.stderr += content["text"]
            elif kind in ("display_data", "execute_result"):
                got.texts.append(content["data"].get("text/plain", ""))
            elif kind == "error":
                got.error = f"{content['ename']}: {content['evalue']}"

        reply = self.client.execute_interactive(code, timeout=120, output_hook=hook)
        got.status = reply["content"]["status"]
        if check and got.status != "ok":
            raise AssertionError(f"cell failed: {got.error}\n{code}")
        return got

    def run_many(self, cells: list[str]) -> None:
        """Execute ``cells`` one after the other, sent at once (each is its own cell)."""
        sent = [self.client.execute(code) for code in cells]
        replies = {}
        while len(replies) < len(sent):
            msg = self.client.get_shell_msg(timeout=120)
            replies[msg["parent_header"]["msg_id"]] = msg["content"]["status"]
        assert [replies[m] for m in sent] == ["ok"] * len(sent)


@contextmanager
def kernel(cwd: Path, **env: str) -> Iterator[Kernel]:
    """A python3 kernel in ``cwd`` with ``env`` added to this process's environment."""
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(cwd=str(cwd), env={**os.environ, **env})
    started = Kernel(manager)
    try:
        started.client.start_channels()
        started.client.wait_for_ready(timeout=60)
        yield started
    finally:
        started.client.stop_channels()
        manager.shutdown_kernel(now=True)


def save_notebook(path: Path, cells: list[tuple[str, int | None]]) -> Path:
    """Write the notebook a user sees: code cells (source, execution count) in their order."""
    nb = nbformat.v4.new_notebook()
    for source, count in cells:
        nb.cells.append(nbformat.v4.new_code_cell(source, execution_count=count))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(nb, path)
    return path
