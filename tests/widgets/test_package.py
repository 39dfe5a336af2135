"""The widgets namespace: functions stay functions; the CLI never loads ipywidgets."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import jupyter_mlops as mlops
from jupyter_mlops.store import Store

PROBE = textwrap.dedent(
    """
    import sys
    from jupyter_mlops.cli import main
    main(["runs"])
    print("LOADED" if "ipywidgets" in sys.modules else "CLEAN")
    """
)


def test_panel_functions_survive_importing_their_modules() -> None:
    import jupyter_mlops.widgets.compare
    import jupyter_mlops.widgets.runs  # noqa: F401 - the import is the test

    for name in ("runs", "compare", "drift", "models", "monitor", "pipeline", "datasets"):
        assert callable(getattr(mlops.widgets, name)), name
    assert sorted(mlops.widgets.__all__) == mlops.widgets.__all__
    assert all(getattr(mlops.widgets, name).__doc__ for name in mlops.widgets.__all__)


def test_the_cli_does_not_import_ipywidgets(project: Store, store_dir: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=store_dir, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "CLEAN"
