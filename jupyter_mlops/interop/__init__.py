"""Moving records in from other tracking systems: ``mlops.interop.import_mlflow(uri)``."""

from jupyter_mlops.interop.mlflow import ImportReport, import_mlflow

__all__ = ["ImportReport", "import_mlflow"]
