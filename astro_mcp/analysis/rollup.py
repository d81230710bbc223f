"""Buckets added up into wider ones, and the part of an answer that falls in a range.

Exact: every figure of a bucket is a count or a sum, but for the mean latency, which is weighted by traces.
So one answer at a fine resolution gives, without another request, the same range at any resolution that
is a multiple of its own, and any sub-range that starts on one of its bucket boundaries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from astro_mcp.domain import Bucket

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def within(buckets: Iterable[Bucket], start: datetime, end: datetime) -> list[Bucket]:
    """The buckets that begin in [start, end)."""
    return [b for b in buckets if start <= b["timestamp"] < end]


def added_up(buckets: Iterable[Bucket], minutes: int) -> list[Bucket]:
    """`buckets` added up into buckets of `minutes`, aligned to the epoch, in time order.

    Each bucket given must lie within one of the new ones (be as wide as they are, or divide them, and be
    aligned); buckets of several widths may be mixed (a day's hours, and the day's last hour in minutes).
    """
    step = timedelta(minutes=minutes)
    sums: dict[int, list[float]] = {}
    for b in buckets:
        at = (b["timestamp"] - _EPOCH) // step
        acc = sums.setdefault(at, [0, 0, 0.0, 0, 0])
        acc[0] += b["trace_count"]
        acc[1] += b["error_count"]
        acc[2] += b["avg_latency_ms"] * b["trace_count"]
        acc[3] += b["input_tokens"]
        acc[4] += b["output_tokens"]
    return [
        {
            "timestamp": _EPOCH + at * step,
            "trace_count": int(n),
            "avg_latency_ms": latency / n if n else 0.0,
            "input_tokens": int(tokens_in),
            "output_tokens": int(tokens_out),
            "error_count": int(errors),
        }
        for at, (n, errors, latency, tokens_in, tokens_out) in sorted(sums.items())
    ]


def coarsened(buckets: Sequence[Bucket], minutes: int, into: int) -> tuple[Sequence[Bucket], int]:
    """Buckets of `minutes` as buckets of `into` where that is a multiple of `minutes`; else as they are."""
    if into == minutes or into % minutes:
        return buckets, minutes
    return added_up(buckets, into), into
