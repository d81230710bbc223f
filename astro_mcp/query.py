"""Turning what a model sends (slugs, times, intervals) into a checked, resolved query.

Pure: the clock is read by the caller and passed in as `now`. Every refusal is a `QueryError`
whose message says what was wrong, which forms are accepted, and gives an example that works.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from astro_mcp.errors import QueryError

SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
_SLUG = re.compile(SLUG_PATTERN)

TIME_FORMS = (
    "an RFC 3339 time ('2026-11-24T09:00:00Z', or with an offset such as '+02:00'; a time without "
    "an offset is UTC), 'now', or a relative time ('now-15m', 'now-6h', 'now-7d', 'now-2w')"
)
INTERVAL_FORMS = "whole minutes as a number (60) or a string ('60', '15m', '1h', '1d')"

_UNIT_MINUTES = {"m": 1, "h": 60, "d": 1440, "w": 10080}
_UNIT_ALIASES = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), "s"),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), "m"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "h"),
    **dict.fromkeys(("d", "day", "days"), "d"),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), "w"),
}
_AMOUNT = r"(?P<amount>\d{1,7}(?:\.\d{1,6})?)\s*(?P<unit>[a-z]+)"
_RELATIVE = re.compile(rf"^now\s*(?:(?P<sign>[-+])\s*{_AMOUNT})?$")
_DURATION = re.compile(rf"^(?:(?:last|past)\s+)?{_AMOUNT}$")
_INTERVAL = re.compile(r"^(?P<amount>\d{1,7}(?:\.\d{1,6})?)\s*(?P<unit>[a-z]*)$")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LIVE = timedelta(minutes=5)  # traces this recent may not be ingested yet
# Round intervals the default is chosen from; the target keeps a window at <= 36 buckets,
# which gives a 24-hour window the API's own default of 60 minutes.
_NICE_INTERVALS = (1, 5, 15, 30, 60, 180, 360, 720, 1440)
_DEFAULT_TARGET_BUCKETS = 36


@dataclass(frozen=True, slots=True)
class MetricsQuery:
    """A resolved, checked query: UTC, minute-aligned, ready for the API. Hashable: a cache key."""

    account: str
    name: str
    start: datetime
    end: datetime
    interval_minutes: int
    notes: tuple[str, ...] = field(default=(), compare=False)

    def is_live(self, now: datetime) -> bool:
        """Whether the window ends so recently that its data may still be arriving."""
        return now - self.end < LIVE


def grid_bucket_count(start: datetime, end: datetime, interval_minutes: int) -> int:
    """How many buckets of the epoch-aligned grid [start, end) touches."""
    step = interval_minutes * 60
    first = math.floor((start - _EPOCH).total_seconds() / step)
    last = math.ceil((end - _EPOCH).total_seconds() / step)
    return max(last - first, 1)


def describe_minutes(minutes: int, adjective: bool = False) -> str:
    """60 -> '1 hour' ('1-hour' as an adjective), 1440 -> '1 day', 90 -> '90 minutes'."""
    unit, size = next(
        ((u, n) for u, n in (("week", 10080), ("day", 1440), ("hour", 60)) if minutes % n == 0), ("minute", 1)
    )
    count = minutes // size
    if adjective:
        return f"{count}-{unit}"
    return f"{count} {unit}{'s' if count != 1 else ''}"


def rfc3339(moment: datetime) -> str:
    """UTC, whole seconds, with a `Z`: the form the API is always sent."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_slug(field_name: str, value: str) -> str:
    """Return `value` if it is a plain slug.

    Raises:
        QueryError: it is not; the message suggests a corrected slug where one is obvious.
    """
    if _SLUG.match(value):
        return value
    shown = repr(value) if len(value) <= 80 else repr(value[:80]) + "..."
    message = (
        f"{field_name}={shown} is not a valid Astro {'account slug' if field_name == 'account' else 'agent name'}: "
        "use 1-64 characters of lowercase letters, digits, '-' and '_', starting with a letter or digit "
        "(for example 'astro-team' or 'weather-agent')."
    )
    suggestion = re.sub(r"[\s.]+", "-", value.strip().lower())
    if suggestion != value and _SLUG.match(suggestion):
        message += f" Did you mean {field_name}='{suggestion}'?"
    raise QueryError(message)


def _duration(amount: str, unit: str, original: str, field_name: str) -> timedelta:
    canonical = _UNIT_ALIASES.get(unit)
    if canonical is None:
        raise QueryError(
            f"{field_name}='{original}': unknown unit '{unit}'. Use m (minutes), h (hours), d (days) or w (weeks), "
            f"as in {field_name}='now-6h'."
        )
    seconds = float(amount) * (1 if canonical == "s" else _UNIT_MINUTES[canonical] * 60)
    return timedelta(seconds=seconds)


def _shift(base: datetime, delta: timedelta, field_name: str, original: str) -> datetime:
    try:
        return base + delta
    except OverflowError:
        raise QueryError(
            f"{field_name}='{original}' lies too far from now; use a recent time such as 'now-7d'."
        ) from None


def _parse_time(field_name: str, raw: str, now: datetime, end: datetime | None) -> datetime:
    """Parse one end of the window. `end` is given when parsing start_time (durations count back from it)."""
    text = raw.strip().lower()
    forms = TIME_FORMS + (", or a duration before end_time ('24h', '7d')" if end is not None else "")
    example = "start_time='now-24h'" if end is not None else "end_time='now'"
    if match := _RELATIVE.match(text):
        if match["sign"] is None:
            return now
        sign = 1 if match["sign"] == "+" else -1
        return _shift(now, sign * _duration(match["amount"], match["unit"], raw, field_name), field_name, raw)
    if match := _DURATION.match(text):
        if end is None:
            raise QueryError(
                f"end_time='{raw}' is a duration, which only start_time takes (meaning that long before "
                f"end_time). For end_time use 'now', a relative time such as 'now-1h', or an RFC 3339 time. "
                f"Example: start_time='{raw}', end_time='now'."
            )
        return _shift(end, -_duration(match["amount"], match["unit"], raw, field_name), field_name, raw)
    try:
        moment = datetime.fromisoformat(raw.strip().upper())
    except ValueError:
        shown = repr(raw) if len(raw) <= 80 else repr(raw[:80]) + "..."
        raise QueryError(f"{field_name}={shown} is not a time I can read. Use {forms}. Example: {example}.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment < _EPOCH:
        raise QueryError(f"{field_name}='{raw}' is before 1970; use a recent time, for example {example}.")
    return moment.astimezone(UTC)


def parse_interval(value: int | float | str) -> int:
    """Bucket size in whole minutes from what a model naturally sends.

    Raises:
        QueryError: not a positive whole number of minutes.
    """
    if isinstance(value, bool):
        raise QueryError(f"interval={value} is not a bucket size. Use {INTERVAL_FORMS}. Example: interval=60.")
    if isinstance(value, int | float):
        minutes = float(value)
        shown = str(value)
    else:
        shown = repr(value) if len(value) <= 40 else repr(value[:40]) + "..."
        match = _INTERVAL.match(value.strip().lower())
        if not match:
            raise QueryError(f"interval={shown} is not a bucket size. Use {INTERVAL_FORMS}. Example: interval='1h'.")
        unit = _UNIT_ALIASES.get(match["unit"] or "m")
        if unit is None or unit == "s":
            hint = " The API's smallest bucket is 1 minute." if unit == "s" else ""
            raise QueryError(f"interval={shown}: unknown unit.{hint} Use {INTERVAL_FORMS}. Example: interval='15m'.")
        minutes = float(match["amount"]) * _UNIT_MINUTES[unit]
    if not math.isfinite(minutes) or minutes < 1:
        raise QueryError(f"interval={shown} is too small: buckets are at least 1 minute. Example: interval=1.")
    if minutes != int(minutes):
        raise QueryError(
            f"interval={shown} is not a whole number of minutes. Example: interval={max(1, round(minutes))}."
        )
    return int(minutes)


def default_interval(window: timedelta) -> int:
    """A round interval that gives the window a readable number of buckets (24 h -> 60 minutes)."""
    minutes = window.total_seconds() / 60
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
    start_time: str | None,
    end_time: str | None,
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
    account = check_slug("account", account)
    name = check_slug("name", name)
    # Models often send an optional argument as an empty string: that means the default.
    start_time, end_time = (t if t is None or t.strip() else None for t in (start_time, end_time))
    interval = None if isinstance(interval, str) and not interval.strip() else interval
    notes: list[str] = []
    end = now if end_time is None else _parse_time("end_time", end_time, now, None)
    start = end - timedelta(hours=24) if start_time is None else _parse_time("start_time", start_time, now, end)
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
    return MetricsQuery(account, name, start, end, minutes, tuple(notes))


def _floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _days(window: timedelta) -> str:
    return f"{window.total_seconds() / 86400:.1f} days"
