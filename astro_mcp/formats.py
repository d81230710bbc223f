"""How figures and times are written for people and models: the one place for units, times and plurals.

Results carry exact values and `datetime`s; these functions turn them into text. Times are UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

_BARS = "▁▂▃▄▅▆▇█"
_UNITS = (("week", 10080), ("day", 1440), ("hour", 60), ("minute", 1))


def minutes(count: int, adjective: bool = False) -> str:
    """60 -> '1 hour' ('1-hour' as an adjective), 1440 -> '1 day', 1743 -> '1 day 5 hours'.

    A span that is not a whole number of its largest unit is written with the two largest units
    that fit, dropping the rest ('1 day 5 hours' for 1743 minutes): a reader wants the size, not
    the arithmetic. An adjective keeps a single unit ('90-minute').
    """
    if adjective:
        unit, size = next((u, n) for u, n in _UNITS if count % n == 0)
        return f"{count // size}-{unit}"
    parts: list[str] = []
    rest = count
    for unit, size in _UNITS:
        if rest >= size and len(parts) < 2:
            amount, rest = divmod(rest, size)
            parts.append(plural(amount, unit))
        elif parts:
            break
    return " ".join(parts) or "0 minutes"


def plural(n: int, noun: str) -> str:
    """'1 error', '2 errors', '1,204 traces'."""
    return f"{n:,} {noun}{'s' if n != 1 else ''}"


def pct(rate: float) -> str:
    return f"{rate * 100:.2f}%" if rate < 0.1 else f"{rate * 100:.1f}%"


def ms(value: float) -> str:
    return f"{value:,.1f} ms"


def num(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:,.1f}"


def when(moment: datetime) -> str:
    """'Nov 25 09:00 UTC'."""
    return f"{moment.astimezone(UTC):%b %d %H:%M} UTC"


def clock(moment: datetime, with_day: bool = False) -> str:
    """'09:00', or 'Nov 25 09:00' with the day."""
    return f"{moment.astimezone(UTC):%b %d %H:%M}" if with_day else f"{moment.astimezone(UTC):%H:%M}"


def span(start: datetime, end: datetime) -> str:
    """'Nov 25 03:00–04:00 UTC', or with both dates when they differ ('Nov 19 21:00 – Nov 24 21:00 UTC')."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if start.date() == end.date():
        return f"{start:%b %d %H:%M}–{end:%H:%M} UTC"
    return f"{start:%b %d %H:%M} – {end:%b %d %H:%M} UTC"


def sparkline(values: Sequence[float | None], from_zero: bool = True) -> str:
    """One block character per value, scaled between the smallest (or zero) and the largest; '·' for none."""
    present = [v for v in values if v is not None]
    if not present:
        return ""
    low = 0.0 if from_zero else min(present)
    top = max(present) - low
    return "".join(
        "·" if v is None else _BARS[min(len(_BARS) - 1, int((v - low) / top * len(_BARS))) if top else 0]
        for v in values
    )


def usd(amount: float) -> str:
    """'$1,234', '$12.35', '$0.00631': dollars to the cent, and small amounts to three significant digits."""
    if amount >= 100:
        return f"${amount:,.0f}"
    if amount >= 1 or amount == 0:
        return f"${amount:,.2f}"
    return f"${amount:.3g}" if amount >= 1e-4 else f"${amount:.2e}"
