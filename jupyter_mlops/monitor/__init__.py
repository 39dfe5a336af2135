"""Monitoring: data drift, prediction drift and model quality against a reference.

``import jupyter_mlops.monitor as monitor`` then ``monitor.drift(reference, current)``,
``monitor.profile(reference).log(run)``, ``monitor.performance("models:/churn@production",
labelled_batch, target="churned")``.
"""

from jupyter_mlops.monitor.act import ActResult, act
from jupyter_mlops.monitor.drift import drift
from jupyter_mlops.monitor.history import MonitorHistory, history
from jupyter_mlops.monitor.performance import PerformanceReport, performance, prediction_drift
from jupyter_mlops.monitor.profile import ReferenceProfile, profile
from jupyter_mlops.monitor.report import ColumnResult, DriftReport
from jupyter_mlops.monitor.sources import labelled, log_labels
from jupyter_mlops.monitor.stattests import StatTest
from jupyter_mlops.monitor.stattests import get as get_test
from jupyter_mlops.monitor.stattests import register as register_test

__all__ = [
    "ActResult",
    "ColumnResult",
    "DriftReport",
    "MonitorHistory",
    "PerformanceReport",
    "ReferenceProfile",
    "StatTest",
    "act",
    "drift",
    "get_test",
    "history",
    "labelled",
    "log_labels",
    "performance",
    "prediction_drift",
    "profile",
    "register_test",
]
