from __future__ import annotations

import datetime as dt

import pytest

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.scheduler.cron import (
    check_cron,
    check_timezone,
    due_ticks,
    next_tick,
    tick_label,
    utc_cron,
)


def _ts(*args: int, tz: str = "UTC") -> float:
    from zoneinfo import ZoneInfo

    return dt.datetime(*args, tzinfo=ZoneInfo(tz)).timestamp()


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        (
            "",
            "Invalid cron expression '': expected 5 fields (minute hour day-of-month month "
            "day-of-week), like '0 6 * * *'.",
        ),
        (
            "0 6 * *",
            "Invalid cron expression '0 6 * *': expected 5 fields (minute hour day-of-month "
            "month day-of-week), like '0 6 * * *'.",
        ),
        (
            "0 0 6 * * * *",
            "Invalid cron expression '0 0 6 * * * *': expected 5 fields (minute hour "
            "day-of-month month day-of-week), like '0 6 * * *'.",
        ),
        (
            "61 6 * * *",
            "Invalid cron expression '61 6 * * *': a field is out of range or malformed; "
            "use 5 fields like '0 6 * * *'.",
        ),
        (
            "0 6 * * funday",
            "Invalid cron expression '0 6 * * funday': a field is out of range or malformed; "
            "use 5 fields like '0 6 * * *'.",
        ),
    ],
)
def test_invalid_cron_says_what_to_type(expr: str, message: str) -> None:
    with pytest.raises(MlopsUsageError) as info:
        check_cron(expr)
    assert str(info.value) == message


@pytest.mark.parametrize("name", ["Mars/Olympus", "utc ", "", "../etc/passwd", "Europe/"])
def test_invalid_timezone(name: str) -> None:
    with pytest.raises(MlopsUsageError) as info:
        check_timezone(name)
    assert str(info.value) == (
        f"Unknown timezone {name!r}; use an IANA name such as 'UTC' or 'Europe/Paris'."
    )


def test_cron_is_normalized() -> None:
    assert check_cron("  0   6 * *  1-5 ") == "0 6 * * 1-5"


def test_next_tick_follows_the_timezone_across_dst() -> None:
    # 06:00 in Paris is 05:00 UTC in winter and 04:00 UTC in summer.
    winter = next_tick("0 6 * * *", "Europe/Paris", _ts(2026, 1, 1))
    assert winter == _ts(2026, 1, 1, 5)
    summer = next_tick("0 6 * * *", "Europe/Paris", _ts(2026, 3, 29, 3))
    assert summer == _ts(2026, 3, 29, 4)


def test_next_tick_is_strictly_after() -> None:
    t = _ts(2026, 1, 1, 6)
    assert next_tick("0 6 * * *", "UTC", t) == _ts(2026, 1, 2, 6)


def test_due_ticks_keeps_the_newest() -> None:
    first = _ts(2026, 1, 1, 0)
    ticks = due_ticks("0 * * * *", "UTC", first, _ts(2026, 1, 1, 23, 30), limit=3)
    assert ticks == [_ts(2026, 1, 1, 21), _ts(2026, 1, 1, 22), _ts(2026, 1, 1, 23)]
    assert due_ticks("0 * * * *", "UTC", first, first - 1) == []


def test_tick_label() -> None:
    assert tick_label(_ts(2026, 1, 2, 6, 30)) == "20260102T063000Z"


@pytest.mark.parametrize(
    ("expr", "tz", "expected"),
    [
        ("0 6 * * *", "UTC", ("0 6 * * *", True)),
        ("0 6 * * *", "Asia/Tokyo", ("0 21 * * *", True)),
        ("30 1,6 * * 1-5", "Asia/Kolkata", ("30 1,6 * * 1-5", False)),  # half-hour offset
        ("0 6 * * *", "Europe/Paris", ("0 5 * * *", False)),  # daylight saving time
    ],
)
def test_utc_cron(expr: str, tz: str, expected: tuple[str, bool]) -> None:
    assert utc_cron(expr, tz) == expected
