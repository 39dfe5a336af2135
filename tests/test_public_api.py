"""The public surface: one sorted ``__all__``, and an import that does nothing but define."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import jupyter_mlops


def test_all_is_sorted_and_unique() -> None:
    assert jupyter_mlops.__all__ == sorted(set(jupyter_mlops.__all__))


def test_every_name_in_all_resolves() -> None:
    missing = [name for name in jupyter_mlops.__all__ if not hasattr(jupyter_mlops, name)]
    assert missing == []


def test_all_lists_exactly_the_public_names_defined() -> None:
    # Rebuilt from the module itself (drift test): every public non-module name, plus the version.
    defined = {
        name
        for name, value in vars(jupyter_mlops).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(jupyter_mlops.__all__) == defined | {"__version__"} | set(jupyter_mlops._LAZY)


def test_lazy_namespaces_resolve_and_lineage_stays_callable() -> None:
    import jupyter_mlops.lineage  # loaded with jupyter_mlops, so mlops.lineage stays the function

    assert callable(jupyter_mlops.lineage)
    assert callable(jupyter_mlops.data.add)
    assert callable(jupyter_mlops.models.promote)
    assert issubclass(jupyter_mlops.GateRefused, jupyter_mlops.MlopsError)


def test_public_callables_have_docstrings() -> None:
    undocumented = [
        name
        for name in jupyter_mlops.__all__
        if callable(getattr(jupyter_mlops, name)) and not getattr(jupyter_mlops, name).__doc__
    ]
    assert undocumented == []


IMPORT_PROBE = textwrap.dedent(
    """
    import json, os, sys, threading
    import pandas, sklearn.base, sklearn.metrics
    from sklearn.linear_model import LogisticRegression

    def snapshot():
        names = [n for n in dir(sklearn.metrics) if not n.startswith("_")]
        funcs = {n: id(getattr(sklearn.metrics, n)) for n in names}
        funcs["LogisticRegression.fit"] = id(LogisticRegression.__dict__["fit"])
        funcs["BaseEstimator.score"] = id(getattr(sklearn.base.ClassifierMixin, "score"))
        funcs["pandas.read_csv"] = id(pandas.read_csv)
        funcs["pandas.read_parquet"] = id(pandas.read_parquet)
        return funcs

    before = snapshot()
    threads = threading.active_count()
    hooks = (sys.excepthook, threading.excepthook, len(sys.meta_path), len(sys.path_hooks))
    import jupyter_mlops
    from jupyter_mlops.store import core
    print(json.dumps({
        "changed": sorted(k for k, v in snapshot().items() if before[k] != v),
        "new_threads": threading.active_count() - threads,
        "hooks_changed": hooks != (
            sys.excepthook, threading.excepthook, len(sys.meta_path), len(sys.path_hooks)
        ),
        "stores": len(core._current),
        "files": sorted(os.listdir(".")),
        "matplotlib": "matplotlib.pyplot" in sys.modules,
    }))
    """
)


def test_import_patches_nothing_and_opens_no_store(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(out.stdout)
    assert report == {
        "changed": [],
        "new_threads": 0,
        "hooks_changed": False,
        "stores": 0,
        "files": [],
        "matplotlib": False,
    }
    assert not (tmp_path / ".mlops").exists()
