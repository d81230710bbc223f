"""Reading the times and intervals a model sends. Pure: `now` is passed in.

Every refusal is a `QueryError` whose message says what was wrong, which forms are accepted, and
gives an example that works.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

from astro_mcp.errors import QueryError

TIME_FORMS = (
    "an RFC 3339 time ('2026-11-24T09:00:00Z', or with an offset such as '+02:00'; a time without "
    "an offset is UTC), 'now', a relative time ('now-15m', 'now-6h', 'now-7d', '2 hours ago'), 'today' or "
    "'yesterday' (midnight UTC), or epoch seconds (1764000000)"
)
INTERVAL_FORMS = "whole minutes as a number (60) or a string ('60', '15m', '1h', '1d', 'hourly', 'daily')"

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
_BARE_OFFSET = re.compile(rf"^-\s*{_AMOUNT}$")  # '-24h': a model's shorthand for now-24h
_AGO = re.compile(rf"^{_AMOUNT}\s+ago$")
_DURATION = re.compile(rf"^(?:(?:last|past)\s+)?{_AMOUNT}$")
_ISO_DURATION = re.compile(r"^p(?:(?P<w>\d{1,4})w)?(?:(?P<d>\d{1,5})d)?(?:t(?:(?P<h>\d{1,6})h)?(?:(?P<m>\d{1,7})m)?)?$")
_EPOCH_SECONDS = re.compile(r"^\d{9,13}(?:\.\d+)?$")
_DAYS_BACK = {"today": 0, "yesterday": 1}
_NAMED_INTERVALS = {"minutely": 1, "hourly": 60, "daily": 1440, "weekly": 10080}
_MAX_MINUTES = 10_000_000  # beyond any window allowed; keeps float conversions finite
_INTERVAL = re.compile(r"^(?P<amount>\d{1,7}(?:\.\d{1,6})?)\s*(?P<unit>[a-z]*)$")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


def _iso_duration(match: re.Match[str]) -> timedelta:
    parts = {unit: int(match[unit] or 0) for unit in ("w", "d", "h", "m")}
    return timedelta(weeks=parts["w"], days=parts["d"], hours=parts["h"], minutes=parts["m"])


def _from_epoch(seconds: float, field_name: str, shown: str) -> datetime:
    """Epoch seconds (or milliseconds, when the number is that large) as a UTC time."""
    if seconds > 1e11:
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, ValueError, OSError):
        raise QueryError(f"{field_name}={shown} is not a time I can read as epoch seconds.") from None


def parse_time(field_name: str, raw: str | float, now: datetime, end: datetime | None) -> datetime:
    """Parse one end of the window. `end` is given when parsing start_time (durations count back from it)."""
    if isinstance(raw, int | float):
        return _from_epoch(float(raw), field_name, repr(raw))
    text = raw.strip().lower()
    forms = TIME_FORMS + (", or a duration before end_time ('24h', '7d', 'P1D')" if end is not None else "")
    example = "start_time='now-24h'" if end is not None else "end_time='now'"
    if text in _DAYS_BACK:
        return datetime.combine(now.date(), datetime.min.time(), UTC) - timedelta(days=_DAYS_BACK[text])
    if _EPOCH_SECONDS.match(text):
        return _from_epoch(float(text), field_name, repr(raw))
    if match := _BARE_OFFSET.match(text) or _AGO.match(text):
        return _shift(now, -_duration(match["amount"], match["unit"], raw, field_name), field_name, raw)
    if (match := _ISO_DURATION.match(text)) and text not in ("p", "pt"):
        if end is None:
            raise QueryError(_duration_for_end(raw))
        return _shift(end, -_iso_duration(match), field_name, raw)
    if match := _RELATIVE.match(text):
        if match["sign"] is None:
            return now
        sign = 1 if match["sign"] == "+" else -1
        return _shift(now, sign * _duration(match["amount"], match["unit"], raw, field_name), field_name, raw)
    if match := _DURATION.match(text):
        if end is None:
            raise QueryError(_duration_for_end(raw))
        return _shift(end, -_duration(match["amount"], match["unit"], raw, field_name), field_name, raw)
    try:
        moment = datetime.fromisoformat(raw.strip().upper())
    except ValueError:
        shown = repr(raw) if len(raw) <= 80 else repr(raw[:80]) + "..."
        raise QueryError(f"{field_name}={shown} is not a time I can read. Use {forms}. Example: {example}.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise QueryError(f"{field_name}='{raw}' lies outside the calendar; use a recent time, {example}.") from None
    if moment < EPOCH:
        raise QueryError(f"{field_name}='{raw}' is before 1970; use a recent time, for example {example}.")
    return moment


def _duration_for_end(raw: str) -> str:
    return (
        f"end_time='{raw}' is a duration, which only start_time takes (meaning that long before "
        f"end_time). For end_time use 'now', a relative time such as 'now-1h', or an RFC 3339 time. "
        f"Example: start_time='{raw}', end_time='now'."
    )


def parse_interval(value: int | float | str) -> int:
    """Bucket size in whole minutes from what a model naturally sends.

    Raises:
        QueryError: not a positive whole number of minutes.
    """
    if isinstance(value, bool):
        raise QueryError(f"interval={value} is not a bucket size. Use {INTERVAL_FORMS}. Example: interval=60.")
    if isinstance(value, int | float):
        shown = str(value) if len(str(value)) <= 40 else str(value)[:40] + "..."
        if abs(value) > _MAX_MINUTES:
            raise QueryError(
                f"interval={shown} is far too large. Example: interval=60 (1 hour) or interval=1440 (1 day)."
            )
        minutes = float(value)
    elif value.strip().lower() in _NAMED_INTERVALS:
        return _NAMED_INTERVALS[value.strip().lower()]
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
