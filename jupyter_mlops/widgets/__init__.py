"""Notebook panels (ipywidgets) for runs, comparison, models, datasets, pipelines and drift.

``import jupyter_mlops as mlops`` then ``mlops.widgets.runs("metrics.auc > 0.9")``,
``mlops.widgets.run("a1b2c3d4")``, ``mlops.widgets.compare("a1b2", "c3d4")``. Each panel is a
live widget in a notebook, and also carries static HTML, so a notebook executed by papermill or
converted by nbconvert shows the table or report rather than a widget placeholder.
"""

# Eager on purpose: ``runs``, ``compare``... name both a function and its module, and binding
# the functions here, at package import, keeps ``mlops.widgets.runs`` the function however the
# modules are imported later. The modules defer their heavy imports (scipy, the registry).
from jupyter_mlops.widgets.compare import Comparison, compare
from jupyter_mlops.widgets.datasets import DatasetPanel, DatasetsPanel, dataset, datasets
from jupyter_mlops.widgets.drift import DriftPanel, drift
from jupyter_mlops.widgets.models import ModelPanel, ModelRegistry, model, models
from jupyter_mlops.widgets.monitor import MonitorTimeline, monitor
from jupyter_mlops.widgets.pipeline import PipelinePanel, pipeline
from jupyter_mlops.widgets.run_detail import RunDetail, run
from jupyter_mlops.widgets.runs import RunsPage, RunsTable, runs, runs_page

__all__ = [
    "Comparison",
    "DatasetPanel",
    "DatasetsPanel",
    "DriftPanel",
    "ModelPanel",
    "ModelRegistry",
    "MonitorTimeline",
    "PipelinePanel",
    "RunDetail",
    "RunsPage",
    "RunsTable",
    "compare",
    "dataset",
    "datasets",
    "drift",
    "model",
    "models",
    "monitor",
    "pipeline",
    "run",
    "runs",
    "runs_page",
]
