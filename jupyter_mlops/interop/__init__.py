"""Moving records between tracking systems: ``mlops.interop.import_mlflow(uri)`` brings an
MLflow store's history in, ``mlops.interop.export_mlflow(uri)`` writes ours into one."""

from jupyter_mlops.interop.export import ExportReport, export_mlflow
from jupyter_mlops.interop.mlflow import ImportReport, import_mlflow
from jupyter_mlops.interop.progress import Progress

__all__ = ["ExportReport", "ImportReport", "Progress", "export_mlflow", "import_mlflow"]
