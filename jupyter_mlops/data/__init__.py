"""Dataset versioning: content-addressed files, folders and DataFrames with profiles.

``import jupyter_mlops as mlops`` then ``mlops.data.add("data/churn.csv")``,
``mlops.data.get("churn@2").to_pandas()``, ``mlops.data.diff("churn@1", "churn@2")``.
"""

from jupyter_mlops.data.api import add, checkout, diff, get, tag
from jupyter_mlops.data.api import list_datasets as list
from jupyter_mlops.data.diff import DataDiff
from jupyter_mlops.data.links import link_file_read, log_dataset
from jupyter_mlops.data.version import DatasetVersion

__all__ = [
    "DataDiff",
    "DatasetVersion",
    "add",
    "checkout",
    "diff",
    "get",
    "link_file_read",
    "list",
    "log_dataset",
    "tag",
]
