"""Turning a tool's arguments into a checked, resolved `MetricsQuery`. Pure: `now` is passed in."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from astro_mcp.domain import LIVE, MetricsQuery, rfc3339
from astro_mcp.errors import QueryError
from astro_mcp.formats import minutes as describe_minutes
from astro_mcp.query.slugs import checked_agent
from astro_mcp.query.times import EPOCH, parse_interval, parse_time

# Round intervals the default is chosen from; the target keeps a window at <= 36 buckets,
# which gives a 24-hour window the API's own default of 60 minutes.
_NICE_INTERVALS = (1, 5, 15, 30, 60, 180, 360, 720, 1440)
_DEFAULT_TARGET_BUCKETS = 36
# ...but up to this many hourly buckets: coarser buckets would average a one-hour incident away.
_HOURLY_UP_TO = 192


def grid_bucket_count(start: datetime, end: datetime, interval_minutes: int) -> int:
    """How many buckets of the epoch-aligned grid [start, end) touches."""
    step = interval_minutes * 60
    first = math.floor((start - EPOCH).total_seconds() / step)
    last = math.ceil((end - EPOCH).total_seconds() / step)
    return max(last - first, 1)


def default_interval(window: timedelta) -> int:
    """A round interval that gives the window a readable number of buckets (24 h -> 60 minutes, 7 d -> 60)."""
    minutes = window.total_seconds() / 60
    if minutes / _DEFAULT_TARGET_BUCKETS > 60 and minutes / 60 <= _HOURLY_UP_TO:
        return 60
    for interval in _NICE_INTERVALS:
        if minutes / interval <= _DEFAULT_TARGET_BUCKETS:
            return interval
    return _NICE_INTERVALS[-1]


def _smallest_interval_fitting(window: timedelta, max_buckets: int) -> int:
    minutes = math.ceil(window.total_seconds() / 60)
    nice = (i for i in (*_NICE_INTERVALS, 2880, 10080) if minutes / i + 1 <= max_buckets)
    return next(nice, math.ceil(minutes / (max_buckets - 1)))


def resolve_query(
    account: str,
    name: str,
    start_time: str | float | None,
    end_time: str | float | None,
    interval: int | float | str | None,
    *,
    now: datetime,
    max_window_days: int,
    max_buckets: int,
) -> MetricsQuery:
    """Check every argument and resolve the window from one reading of the clock.

    Both ends are floored to whole minutes, the API's finest grain. Defaults: the last 24 hours,
    ending now, with `default_interval` buckets.

    Raises:
        QueryError: any argument is refused; nothing should be sent.
    """
    agent = checked_agent(account, name)
    # Models often send an optional argument as an empty string: that means the default.
    start_time, end_time = (None if isinstance(t, str) and not t.strip() else t for t in (start_time, end_time))
    interval = None if isinstance(interval, str) and not interval.strip() else interval
    start, end, notes = _window(start_time, end_time, now, max_window_days)
    minutes = _interval(start, end, interval, max_buckets)
    return MetricsQuery(agent, start, end, minutes, live=now - end < LIVE, notes=notes)


def _window(
    start_time: str | float | None, end_time: str | float | None, now: datetime, max_window_days: int
) -> tuple[datetime, datetime, tuple[str, ...]]:
    """The window's ends, floored to whole minutes and ending by `now`, and what was changed to make them so."""
    notes: list[str] = []
    end = now if end_time is None else parse_time("end_time", end_time, now, None)
    if start_time is None and end > now:  # the default window then ends now, not 24 hours after it
        notes.append(f"end_time {rfc3339(end)} is in the future; the window ends now ({rfc3339(now)}) instead.")
        end = now
    start = end - timedelta(hours=24) if start_time is None else parse_time("start_time", start_time, now, end)
    if start >= now:
        raise QueryError(
            f"The window would start at {rfc3339(start)}, which is not in the past (it is now {rfc3339(now)}). "
            "Metrics exist only for the past: use start_time='now-24h', end_time='now', or a past RFC 3339 time."
        )
    if end <= start:
        swap = start_time and end_time and end < start
        swapped = f" Did you mean start_time='{end_time}', end_time='{start_time}'?" if swap else ""
        raise QueryError(
            f"end_time ({rfc3339(end)}) must be after start_time ({rfc3339(start)}).{swapped} "
            "Example: start_time='now-24h', end_time='now'."
        )
    if end > now:
        notes.append(f"end_time {rfc3339(end)} is in the future; the window ends now ({rfc3339(now)}) instead.")
        end = now
    if end - start > timedelta(days=max_window_days):
        raise QueryError(
            f"The window is {_days(end - start)} long; the longest allowed is {max_window_days} days. Narrow it, "
            f"for example start_time='now-{max_window_days}d', end_time='now', or split it into several calls."
        )
    start, end = _floor_minute(start), _floor_minute(end)
    if end <= start:
        raise QueryError(
            f"The window {rfc3339(start)} to {rfc3339(end)} holds no whole minute, the API's finest grain. "
            "Widen it, for example start_time='now-15m', end_time='now'."
        )
    return start, end, tuple(notes)


def _interval(start: datetime, end: datetime, interval: int | float | str | None, max_buckets: int) -> int:
    """The buckets' minutes: the window's default, or `interval` if the window holds one to `max_buckets` of them."""
    window = end - start
    minutes = default_interval(window) if interval is None else parse_interval(interval)
    window_minutes = int(window.total_seconds() // 60)
    if minutes > window_minutes:
        raise QueryError(
            f"interval={minutes} ({describe_minutes(minutes)}) is longer than the {describe_minutes(window_minutes)} "
            f"window, so there would be less than one bucket. Use interval={default_interval(window)} or any value "
            f"up to {window_minutes}, or widen the window."
        )
    buckets = grid_bucket_count(start, end, minutes)
    if buckets > max_buckets:
        fitting = _smallest_interval_fitting(window, max_buckets)
        raise QueryError(
            f"{describe_minutes(window_minutes)} at {describe_minutes(minutes)} buckets is {buckets:,} buckets, "
            f"more than the {max_buckets:,} allowed. Use interval={fitting} ({describe_minutes(fitting)}) or "
            "coarser, or a shorter window."
        )
    return minutes


def _floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _days(window: timedelta) -> str:
    return f"{window.total_seconds() / 86400:.1f} days"
