"""Moving records in from other tracking systems: ``mlops.interop.import_mlflow(uri)``."""

from jupyter_mlops.interop.mlflow import ImportReport, import_mlflow
from jupyter_mlops.interop.text import summary_lines

__all__ = ["ImportReport", "import_mlflow", "summary_lines"]
