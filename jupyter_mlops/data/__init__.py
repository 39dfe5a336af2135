"""Dataset versioning: content-addressed files, folders and DataFrames with profiles.

``import jupyter_mlops as mlops`` then ``mlops.data.add("data/churn.csv")``,
``mlops.data.get("churn@2").to_pandas()``, ``mlops.data.diff("churn@1", "churn@2")``.
"""

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from jupyter_mlops.data.api import add, checkout, diff, get, tag
    from jupyter_mlops.data.api import list_datasets as list
    from jupyter_mlops.data.compare import DataDiff
    from jupyter_mlops.data.version import DatasetVersion

# Loaded on first use: the command line and a step's kernel import submodules such as
# ``data.ingest`` without paying for pandas (1-2 s) until a dataset is actually read.
_LAZY = {
    "add": ("api", "add"),
    "checkout": ("api", "checkout"),
    "diff": ("api", "diff"),
    "get": ("api", "get"),
    "tag": ("api", "tag"),
    "list": ("api", "list_datasets"),
    "DataDiff": ("compare", "DataDiff"),
    "DatasetVersion": ("version", "DatasetVersion"),
}

__all__ = [
    "DataDiff",
    "DatasetVersion",
    "add",
    "checkout",
    "diff",
    "get",
    "list",
    "tag",
]


def __getattr__(name: str) -> _typing.Any:
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module 'jupyter_mlops.data' has no attribute {name!r}")
    value = getattr(_importlib.import_module(f"jupyter_mlops.data.{where[0]}"), where[1])
    globals()[name] = value
    return value
