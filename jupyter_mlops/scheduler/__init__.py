"""Schedules: run notebooks and pipelines on cron expressions, never twice per tick.

``add``/``list_schedules``/``pause``/``resume``/``remove``/``run_now``/``history``/``export``
are the Python API behind ``jupyter-mlops schedule`` and ``%mlops schedule``;
:class:`Scheduler` is the loop behind ``jupyter-mlops scheduler``.
"""

from jupyter_mlops.scheduler.daemon import Scheduler
from jupyter_mlops.scheduler.export import FORMATS, export
from jupyter_mlops.scheduler.service import (
    KEEP,
    Schedule,
    ScheduleRun,
    add,
    get,
    history,
    list_schedules,
    pause,
    remove,
    resume,
    run_now,
    runs,
    update,
)

__all__ = [
    "FORMATS",
    "KEEP",
    "Schedule",
    "ScheduleRun",
    "Scheduler",
    "add",
    "export",
    "get",
    "history",
    "list_schedules",
    "pause",
    "remove",
    "resume",
    "run_now",
    "runs",
    "update",
]
