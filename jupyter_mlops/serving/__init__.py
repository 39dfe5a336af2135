"""Serving: answer requests with the model that holds a stage, and log what it sees.

``jupyter-mlops serve models:/churn@production`` runs the HTTP server (MLflow's scoring
protocol at ``/invocations``, the Open Inference Protocol under ``/v2``, ``/metadata``);
the server follows the stage as it is promoted or rolled back. Logged traffic reads back as
``serving:churn@production`` in ``mlops.monitor.drift(current=...)``.
"""

from jupyter_mlops.serving.signature import PayloadError
from jupyter_mlops.serving.traffic import labelled_traffic, log_labels, logged_traffic

__all__ = ["PayloadError", "labelled_traffic", "log_labels", "logged_traffic"]
