"""Write a schedule for other infrastructure: a crontab line, a Kubernetes CronJob, a workflow.

Each runs ``jupyter-mlops run TARGET`` with the schedule's parameters and environment. GitHub
Actions schedules are in UTC: the cron expression is converted when the zone has a fixed
offset, and otherwise kept with a comment saying which offset it assumes.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

import yaml

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.scheduler.cron import utc_cron
from jupyter_mlops.scheduler.service import get
from jupyter_mlops.scheduler.targets import defaults, param_texts, project_root, target_path
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.store.schedules import Schedule

FORMATS = ("crontab", "kubernetes", "github-actions")


def command(sched: Schedule, like: dict[str, Any] | None = None) -> list[str]:
    """The ``jupyter-mlops run`` command line of a schedule, as words.

    ``like`` holds the parameters' defaults, so each ``-p`` text reads back as the stored
    value (:func:`jupyter_mlops.keyvalue.text`).
    """
    words = ["jupyter-mlops", "run", sched.target]
    if sched.env:
        words += ["--env", sched.env]
    for key, text in sorted(param_texts(sched.params, like or {}).items()):
        words += ["-p", f"{key}={text}"]
    return words


def _k8s_name(name: str) -> str:
    slug = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    return (slug or "schedule")[:52].rstrip("-")


def to_crontab(sched: Schedule, like: dict[str, Any] | None = None) -> str:
    """A crontab snippet; ``CRON_TZ`` sets the zone (cronie, systemd-cron)."""
    line = " ".join(shlex.quote(w) for w in command(sched, like))
    return (
        f"# jupyter-mlops schedule {sched.name}\n"
        f"CRON_TZ={sched.timezone}\n"
        f"{sched.cron} cd /path/to/project && {line}\n"
    )


def to_kubernetes(
    sched: Schedule, like: dict[str, Any] | None = None, *, image: str = "IMAGE"
) -> str:
    """A ``batch/v1`` CronJob with ``timeZone``; replace IMAGE with the project's image."""
    doc: dict[str, Any] = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {
            "name": _k8s_name(sched.name),
            "labels": {"jupyter-mlops/schedule": sched.name},
        },
        "spec": {
            "schedule": sched.cron,
            "timeZone": sched.timezone,
            "concurrencyPolicy": "Forbid",
            "jobTemplate": {
                "spec": {
                    "backoffLimit": 0,
                    "template": {
                        "spec": {
                            "restartPolicy": "Never",
                            "containers": [
                                {"name": "run", "image": image, "command": command(sched, like)}
                            ],
                        }
                    },
                }
            },
        },
    }
    if not sched.enabled:
        doc["spec"]["suspend"] = True
    head = f"# jupyter-mlops schedule {sched.name}; set the image to one holding the project.\n"
    return head + yaml.safe_dump(doc, sort_keys=False)


def to_github_actions(sched: Schedule, like: dict[str, Any] | None = None) -> str:
    """A workflow with ``on.schedule`` in UTC that runs the schedule on a runner."""
    cron, exact = utc_cron(sched.cron, sched.timezone)
    if sched.timezone == "UTC" or exact:
        note = f"# cron in UTC (from {sched.cron!r} in {sched.timezone})"
    else:
        note = (
            f"# GitHub schedules run in UTC: {sched.cron!r} in {sched.timezone} is approximated "
            f"with the zone's standard offset; daylight saving time shifts it by an hour."
        )
    workflow: dict[str, Any] = {
        "name": f"jupyter-mlops schedule {sched.name}",
        "on": {"schedule": [{"cron": cron}], "workflow_dispatch": {}},
        "concurrency": {"group": f"mlops-schedule-{sched.name}", "cancel-in-progress": False},
        "jobs": {
            "run": {
                "runs-on": "ubuntu-latest",
                "steps": [
                    {"uses": "actions/checkout@v4"},
                    {"uses": "actions/setup-python@v5", "with": {"python-version": "3.11"}},
                    {"run": "pip install jupyter-mlops[notebook,sklearn]"},
                    {"run": " ".join(shlex.quote(w) for w in command(sched, like))},
                ],
            }
        },
    }
    return note + "\n" + yaml.safe_dump(workflow, sort_keys=False)


def export(name: str, *, format: str = "crontab", store: Store | None = None) -> str:
    """The text of schedule ``name`` in ``format`` (crontab, kubernetes or github-actions).

    Raises:
        MlopsUsageError: for an unknown format; NotFoundError for an unknown schedule.
    """
    if format not in FORMATS:
        raise MlopsUsageError(f"Unknown export format {format!r}; choose {', '.join(FORMATS)}.")
    store = store or current_store()
    sched = get(name, store=store)
    like = defaults(sched.target_kind, target_path(sched.target, project_root(store)))
    if format == "crontab":
        return to_crontab(sched, like)
    if format == "kubernetes":
        return to_kubernetes(sched, like)
    return to_github_actions(sched, like)
