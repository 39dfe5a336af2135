"""``jupyter-mlops scheduler``: run due schedules, in the foreground (see ``--help``)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from jupyter_mlops.cli._common import Subparsers, add_verb
from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.scheduler import SCHEDULER
from jupyter_mlops.services.schema import SchedulerOptions


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    return add_verb(subparsers, SCHEDULER)


def run(args: argparse.Namespace) -> int:
    # Imported here: the store and the scheduler load only when a command runs, not for --help.
    from jupyter_mlops.services import project, schedules

    options: SchedulerOptions = grammar.request(SCHEDULER, args)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    store = project.store()
    loop = schedules.daemon(store, options)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if stop.is_set() and loop.current is not None:
            raise schedules.Abandon
        stop.set()
        print(f"scheduler: {signal.Signals(signum).name}; stopping", file=sys.stderr, flush=True)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if options.once:
            loop.stop_event = stop
            try:
                done = schedules.run_due(loop, root=project.root())
            except schedules.Abandon:
                return 0
            for item in done:
                print(f"{item.schedule}: {item.status} (run {item.run_id or item.pipeline_run_id})")
            return 0
        print(f"scheduler: running schedules of {store.uri}", file=sys.stderr, flush=True)
        loop.run_forever(stop)
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
