"""Cron expressions and timezones: validation and due ticks, by croniter and zoneinfo.

A tick is the epoch second at which a schedule is due. Ticks are computed in the schedule's
timezone (so ``0 6 * * *`` in ``Europe/Paris`` follows daylight saving time) and stored as
UTC epoch seconds.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from croniter import CroniterBadDateError, croniter

from jupyter_mlops.errors import MlopsUsageError

#: How many missed ticks a non-coalescing schedule catches up at most (the newest ones).
MAX_CATCHUP = 10


def check_cron(expr: str) -> str:
    """Return ``expr`` normalized (single spaces), or raise a one-line usage error.

    Raises:
        MlopsUsageError: when ``expr`` is not a five-field cron expression, or one that
            never fires (``0 0 31 2 *``: no February has a 31st).
    """
    text = " ".join(str(expr).split())
    fields = text.split(" ") if text else []
    if len(fields) != 5:
        raise MlopsUsageError(
            f"Invalid cron expression {expr!r}: expected 5 fields "
            "(minute hour day-of-month month day-of-week), like '0 6 * * *'."
        )
    if not croniter.is_valid(text):
        raise MlopsUsageError(
            f"Invalid cron expression {expr!r}: a field is out of range or malformed; "
            "use 5 fields like '0 6 * * *'."
        )
    try:
        croniter(text, dt.datetime.now(dt.UTC)).get_next(dt.datetime)
    except CroniterBadDateError:
        raise MlopsUsageError(
            f"Invalid cron expression {expr!r}: it never fires (no date has that day of the "
            "month in that month); check the day and month fields."
        ) from None
    return text


def check_timezone(name: str) -> zoneinfo.ZoneInfo:
    """Return the zone called ``name``, or raise a one-line usage error.

    Raises:
        MlopsUsageError: when ``name`` is not an IANA timezone.
    """
    try:
        if not name or name != name.strip():
            raise ValueError(name)
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise MlopsUsageError(
            f"Unknown timezone {name!r}; use an IANA name such as 'UTC' or 'Europe/Paris'."
        ) from None


def next_tick(expr: str, timezone: str, after: float) -> float:
    """The first tick of ``expr`` in ``timezone`` strictly after epoch second ``after``."""
    zone = check_timezone(timezone)
    start = dt.datetime.fromtimestamp(after, zone)
    nxt = croniter(check_cron(expr), start).get_next(dt.datetime)
    return float(nxt.timestamp())


def next_ticks(expr: str, timezone: str, after: float, count: int) -> list[float]:
    """The next ``count`` ticks of ``expr`` in ``timezone`` after epoch second ``after``."""
    ticks: list[float] = []
    tick = after
    for _ in range(count):
        tick = next_tick(expr, timezone, tick)
        ticks.append(tick)
    return ticks


def local_label(tick: float, timezone: str) -> str:
    """A tick as wall-clock time in ``timezone``: ``Mon 2026-12-07 06:00 CET (UTC+01:00)``."""
    when = dt.datetime.fromtimestamp(tick, check_timezone(timezone))
    offset = when.strftime("%z")
    return f"{when:%a %Y-%m-%d %H:%M} {when.tzname()} (UTC{offset[:3]}:{offset[3:]})"


def due_ticks(
    expr: str, timezone: str, first: float, now: float, *, limit: int = MAX_CATCHUP
) -> list[float]:
    """Ticks from ``first`` (itself a tick) up to ``now``, the newest ``limit`` of them."""
    ticks: list[float] = []
    tick = first
    while tick <= now:
        ticks.append(tick)
        if len(ticks) > limit:
            del ticks[0]
        tick = next_tick(expr, timezone, tick)
    return ticks


def tick_label(tick: float) -> str:
    """A tick as a file-name-safe UTC stamp: ``20260101T060000Z``."""
    return dt.datetime.fromtimestamp(tick, dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def utc_cron(expr: str, timezone: str) -> tuple[str, bool]:
    """``expr`` shifted from ``timezone`` to UTC; the bool says whether the shift is exact.

    Exact when the zone's offset is a whole number of hours that does not change over the
    year (no daylight saving time) and the hour field is a plain list of numbers or ``*``.
    """
    zone = check_timezone(timezone)
    expr = check_cron(expr)
    year = dt.datetime.now(dt.UTC).year
    offsets = {
        dt.datetime(year, month, 1, 12, tzinfo=zone).utcoffset() or dt.timedelta()
        for month in range(1, 13)
    }
    minute, hour, *rest = expr.split(" ")
    offset = min(offsets)
    shift_h, shift_rem = divmod(int(offset.total_seconds()), 3600)
    if shift_rem or (shift_h == 0 and len(offsets) == 1):
        return expr, len(offsets) == 1 and not shift_rem
    if hour == "*":
        return expr, len(offsets) == 1
    try:
        hours = [int(h) for h in hour.split(",")]
    except ValueError:
        return expr, False
    if any(day != "*" for day in (rest[0], rest[2])) and any(
        h - shift_h < 0 or h - shift_h > 23 for h in hours
    ):
        return expr, False  # shifting would cross a day boundary in the day fields
    utc_hours = sorted({(h - shift_h) % 24 for h in hours})
    shifted = " ".join([minute, ",".join(map(str, utc_hours)), *rest])
    return shifted, len(offsets) == 1
