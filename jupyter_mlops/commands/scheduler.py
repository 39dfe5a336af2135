"""``scheduler`` (command line only): run due schedules, in the foreground."""

from __future__ import annotations

from jupyter_mlops.commands.grammar import CLI, Opt, Verb
from jupyter_mlops.services.schema import SchedulerOptions

SCHEDULER = Verb(
    "scheduler",
    "Run due schedules: the scheduler daemon, in the foreground.",
    request=SchedulerOptions,
    faces=CLI,
    opts=(
        Opt("once", ("--once",)),
        Opt("poll", ("--poll",), metavar="SECONDS"),
        Opt("timeout", ("--timeout",), metavar="SECONDS"),
    ),
    description="""\
Several schedulers may share one store; each tick runs once. SIGTERM or SIGINT stops it after
the running job finishes (a second signal abandons the job, marking it killed); it exits 0.

examples:
  jupyter-mlops scheduler
  jupyter-mlops scheduler --once           # one pass, for cron or CI
  jupyter-mlops scheduler --poll 10
""",
)
