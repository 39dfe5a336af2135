"""``mlops.lineage`` is the function however the package and its subpackage are imported."""

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import inspect
{imports}
import jupyter_mlops as mlops
from jupyter_mlops.lineage import lineage
assert inspect.isfunction(mlops.lineage), mlops.lineage
assert mlops.lineage is lineage
print("ok")
"""


@pytest.mark.parametrize(
    "imports",
    [
        "import jupyter_mlops",
        "import jupyter_mlops.lineage",
        "import jupyter_mlops; import jupyter_mlops.lineage",
        "import jupyter_mlops.lineage.graph",
        "from jupyter_mlops.lineage import trace",
        "import importlib; importlib.import_module('jupyter_mlops.lineage')",
        "import jupyter_mlops; jupyter_mlops.lineage; import jupyter_mlops.lineage.render",
    ],
)
def test_mlops_lineage_is_the_function_in_every_import_order(imports):
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(imports=imports)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout == "ok\n"


def test_the_package_imports_no_sql():
    # Lineage reads through jupyter_mlops.store.lineage, which holds all of its SQL.
    imported = set()
    # The attribute jupyter_mlops.lineage is the function; the package is in sys.modules.
    package = importlib.import_module("jupyter_mlops.lineage")
    for path in Path(package.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    assert "jupyter_mlops.store.lineage" in imported
    assert not {n for n in imported if n.split(".")[0] == "sqlalchemy"}
    assert not {n for n in imported if n.startswith("jupyter_mlops.store.tables")}
