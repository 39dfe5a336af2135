"""Run due schedules: the scheduler daemon, in the foreground.

Several schedulers may share one store; each tick runs once. SIGTERM or SIGINT stops it after
the running job finishes (a second signal abandons the job, marking it killed); it exits 0.

examples:
  jupyter-mlops scheduler
  jupyter-mlops scheduler --once           # one pass, for cron or CI
  jupyter-mlops scheduler --poll 10
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from jupyter_mlops.cli._common import Subparsers, add_command


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, not {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected more than 0 seconds, not {text!r}")
    return value


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    parser = add_command(subparsers, "scheduler", __doc__)
    parser.add_argument("--once", action="store_true", help="run what is due now, then exit")
    parser.add_argument(
        "--poll", type=_seconds, default=30.0, metavar="SECONDS", help="wake at least this often"
    )
    parser.add_argument("--timeout", type=_seconds, metavar="SECONDS", help="per-cell timeout")
    return parser


def run(args: argparse.Namespace) -> int:
    from jupyter_mlops.scheduler import Scheduler
    from jupyter_mlops.scheduler.runner import Abandon
    from jupyter_mlops.store import current_store

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    store = current_store()
    sched = Scheduler(store, poll=args.poll, timeout=args.timeout)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if stop.is_set() and sched.current is not None:
            raise Abandon
        stop.set()
        print(f"scheduler: {signal.Signals(signum).name}; stopping", file=sys.stderr, flush=True)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if args.once:
            sched.stop_event = stop
            try:
                done = sched.tick()
            except Abandon:
                return 0
            for item in done:
                print(f"{item.schedule}: {item.status} (run {item.run_id or item.pipeline_run_id})")
            return 0
        print(f"scheduler: running schedules of {store.uri}", file=sys.stderr, flush=True)
        sched.run_forever(stop)
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
