"""The scheduler loop: reap, claim what is due, run it, sleep until the next due tick.

``Scheduler(store).tick()`` does one pass; ``run_forever(stop_event)`` loops until the event
is set (the ``jupyter-mlops scheduler`` command sets it on SIGTERM/SIGINT; a Jupyter server
extension can own the event instead). Any number of schedulers may share a store.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from jupyter_mlops.errors import StoreError
from jupyter_mlops.scheduler import claims
from jupyter_mlops.scheduler.runner import Abandon, execute
from jupyter_mlops.store import Store
from jupyter_mlops.store import schedules as q
from jupyter_mlops.store.schedules import ScheduleRun

logger = logging.getLogger("jupyter_mlops.scheduler")


class Scheduler:
    """Runs the due schedules of one store.

    Args:
        store: The store whose schedules to run.
        now: The clock (a seam for tests).
        poll: Seconds between passes at most (it wakes earlier for a sooner tick).
        timeout: Seconds a notebook cell may run (None: no limit).
    """

    def __init__(
        self,
        store: Store,
        *,
        now: Callable[[], float] = time.time,
        poll: float = 30.0,
        timeout: float | None = None,
    ) -> None:
        self.store = store
        self.now = now
        self.poll = poll
        self.timeout = timeout
        self.stop_event = threading.Event()
        self.current: claims.Claim | None = None

    def due(self) -> list[int]:
        """Ids of the enabled schedules due now."""
        return q.due_schedule_ids(self.store, self.now())

    def tick(self) -> list[ScheduleRun]:
        """One pass: reap abandoned runs, then claim and run every due tick."""
        done: list[ScheduleRun] = []
        claims.reap(self.store, self.now())
        for schedule_id in self.due():
            pending = claims.claim_due(self.store, schedule_id, self.now())
            while pending:
                claim = pending.pop(0)
                if self.stop_event.is_set():
                    self._give_up([claim, *pending], "abandoned: the scheduler stopped first")
                    return done
                self.current = claim
                try:
                    done.append(execute(self.store, claim, now=self.now, timeout=self.timeout))
                except Abandon:
                    self._give_up(pending, "abandoned: the scheduler stopped first")
                    raise
                finally:
                    self.current = None
                logger.info("schedule %s: tick %s %s", claim.schedule_name, claim.tick, done[-1])
        return done

    def _give_up(self, pending: list[claims.Claim], why: str) -> None:
        for claim in pending:
            ended = self.now()
            q.record(self.store, claim.schedule_run_id, status="killed", ended=ended, error=why)

    def seconds_to_next(self) -> float:
        """How long to sleep: until the soonest due tick, at most ``poll`` seconds."""
        soonest = q.soonest_due(self.store)
        if soonest is None:
            return self.poll
        return max(0.0, min(self.poll, soonest - self.now()))

    def run_forever(self, stop_event: threading.Event | None = None) -> None:
        """Loop until ``stop_event`` is set; the running job is finished first."""
        if stop_event is not None:
            self.stop_event = stop_event
        while not self.stop_event.is_set():
            try:
                self.tick()
            except Abandon:
                return
            except StoreError as exc:  # the database is down or busy: say so in one line
                logger.error("scheduler pass failed: %s; retrying in %.0f s", exc, self.poll)
                self.stop_event.wait(self.poll)
                continue
            except Exception:  # a broken pass (database down) must not end the daemon
                logger.exception("scheduler pass failed; retrying in %.0f s", self.poll)
                self.stop_event.wait(self.poll)
                continue
            self.stop_event.wait(max(0.05, self.seconds_to_next()))
