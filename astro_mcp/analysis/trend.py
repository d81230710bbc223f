"""The trend, first half of the window against the second, told robustly.

The periods of spikes are set aside (a spike that ended hours ago is not a trend), and latency is the
median period of each half, so one bad hour cannot drag a half's level. A regression is kept: a step
that holds is exactly the trend a reader needs to see.
"""

from __future__ import annotations

import math
from statistics import median
from typing import Literal

from astro_mcp.analysis.grid import Series
from astro_mcp.analysis.results.metrics import MIN_TRACES, Change, Trend


def trend(series: Series, window: tuple[int, int], set_aside: set[int]) -> Trend:
    """`series` is the analysis grid; `set_aside` the indices of its periods that belong to spikes."""
    start, end = window
    middle = (start + end) / 2
    k = min(len(series), max(0, math.ceil((middle - series.t0 - series.step / 2) / series.step)))
    boundary = min(max(series.time(k), start), end)
    halves = [range(k), range(k, len(series))]
    seconds = [boundary - start, end - boundary]
    traffic = [sum(series.traces[i] for i in h) * 3600 / s if s else None for h, s in zip(halves, seconds, strict=True)]
    kept = [[i for i in h if i not in set_aside and series.traces[i]] for h in halves]
    rates = [_pooled_rate(series, ids) for ids in kept]
    latencies = [_median_latency(series, ids) for ids in kept]
    return Trend(
        traces_per_hour=_change(traffic[0], traffic[1], 0.10, 0),
        error_rate=_change(rates[0], rates[1], 0.25, 0.005),
        avg_latency_ms=_change(latencies[0], latencies[1], 0.10, 0),
        spikes_set_aside=len(set_aside),
    )


def _pooled_rate(series: Series, ids: list[int]) -> float | None:
    traces = sum(series.traces[i] for i in ids)
    return sum(series.errors[i] for i in ids) / traces if traces else None


def _median_latency(series: Series, ids: list[int]) -> float | None:
    judged = [series.latency_sum[i] / series.traces[i] for i in ids if series.traces[i] >= MIN_TRACES]
    if judged:
        return median(judged)
    traces = sum(series.traces[i] for i in ids)
    return math.fsum(series.latency_sum[i] for i in ids) / traces if traces else None


def _change(first: float | None, second: float | None, relative: float, absolute: float) -> Change:
    """Up or down when the halves differ by more than `relative` of the first and `absolute` too."""
    if first is None or second is None:
        direction: Literal["up", "down", "steady", "unknown"] = "unknown"
    elif abs(second - first) <= max(relative * first, absolute):
        direction = "steady"
    else:
        direction = "up" if second > first else "down"
    return Change(first_half=first, second_half=second, direction=direction)
