"""The command starts fast: nothing heavy is imported before a command needs it."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """
import sys
from jupyter_mlops.cli import console_main
sys.argv = ["jupyter-mlops", *sys.argv[1:]]
try:
    console_main()
except SystemExit:
    pass
import nbformat  # what `run`, `status` and `show` read notebooks with
print(" ".join(sorted(m for m, v in sys.modules.items() if v is not None)))
"""


@pytest.mark.parametrize("words", [["--help"], ["data", "--help"]])
def test_help_imports_neither_pandas_nor_the_slow_iri_grammar(words: list[str]) -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, *words], capture_output=True, text=True, check=True
    ).stdout
    modules = set(out.splitlines()[-1].split())
    assert "nbformat" in modules
    # pandas costs 1-2 s and is needed only once a dataset is read; rfc3987_syntax compiles
    # ~35 Earley grammars (1-4 s) for a jsonschema format no notebook schema uses.
    assert "pandas" not in modules
    assert "rfc3987_syntax" not in modules
