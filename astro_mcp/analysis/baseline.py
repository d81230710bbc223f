"""What is normal for one agent: the typical level of each signal, and the traffic it sends at each hour.

Signals are per-trace figures (error rate, mean latency, tokens per trace) and the traffic itself. A
signal's typical level is its *lowest sustained state*, not its median: for an agent that failed for five
days of the seven fetched and was fixed since, the typical error rate is the rate of the good days, so
the bad stretch is never taken as normal. Traffic is expected per hour of the day, weekdays and weekends
apart when the data holds both, so a quiet night or a quiet Sunday is not an outage.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from statistics import median
from typing import Literal

from astro_mcp.analysis.grid import Series, analysis_step
from astro_mcp.analysis.results.metrics import MIN_TRACES
from astro_mcp.analysis.robust import unit_noise, weighted_median
from astro_mcp.formats import minutes as describe_minutes

Signal = Literal["error_rate", "avg_latency_ms", "tokens_per_trace", "traffic"]
RATES: tuple[Signal, ...] = ("error_rate", "avg_latency_ms", "tokens_per_trace")
HOUR = 3600
_SMOOTH = 5  # periods in the running mean that finds the lowest sustained state
_LOW_SHARE = 0.2  # the low state is anchored at this quantile of the running mean
_MIN_PROFILE_HOURS = 24  # an hourly profile needs a whole day of data
_FEW = 10  # periods below which the noise cannot be measured
_HEAVY = 1.5  # a tail-matched noise this many times the robust one means a heavy tail ...
_TAIL_EVENTS = 5  # ... of at least this many rare huge traces in the data learnt from
_TRIM = 3  # periods (or 2% if more) furthest up left out of the tail's lift


@dataclass(frozen=True)
class Level:
    """A signal's typical value, and the spread of one trace's value around it (for means).

    Means can have a heavy tail: rare traces far above the rest (timeouts). Then `tail` is the size of
    one such trace's excess and `tail_rate` their share of traces, estimated from the gap between the
    pooled and the typical period mean (p * T) and the variance the tail adds (p * T^2).
    """

    value: float
    noise: float
    periods: int  # periods it was learnt from
    step: int  # their length, in seconds: a mean with a heavy tail is judged on periods no shorter
    tail: float = 0.0
    tail_rate: float = 0.0


@dataclass(frozen=True)
class Baseline:
    levels: dict[Signal, Level]
    # Traces per hour by (weekend, hour of day), and how many days each was learnt from.
    hourly: dict[tuple[bool, int], tuple[float, int]] = field(default_factory=dict)
    flat: tuple[float, int] = (0.0, 1)  # traces per hour when no profile applies, and the hours behind it
    split_weekends: bool = False
    kinds: frozenset[bool] = frozenset()  # the kinds of day (weekend or not) the hourly profile has seen
    since: int | None = None  # the first trace seen
    start: int = 0  # where the data it was learnt from begins
    end: int = 0

    def expected(self, t0: int, seconds: int) -> tuple[float, float]:
        """Traces expected in [t0, t0 + seconds), and the variance of that estimate (few days learnt: wide)."""
        if not self.hourly:
            rate, samples = self.flat
            share = seconds / HOUR
            return rate * share, rate * share * share / samples
        mean = variance = 0.0
        t = t0
        while t < t0 + seconds:
            span = min(HOUR - t % HOUR, t0 + seconds - t)
            if _weekend(t) not in self.kinds:
                t += span
                continue  # a kind of day never seen (the first weekend): no expectation, so no silence
            rate, samples = self.hourly.get(self._key(t), self.flat)
            mean += rate * span / HOUR
            variance += rate * (span / HOUR) ** 2 / samples
            t += span
        return mean, variance

    def _key(self, t: int) -> tuple[bool, int]:
        return (self.split_weekends and _weekend(t), t // HOUR % 24)

    def is_new(self, now: int) -> bool:
        """Its data begins well inside what was fetched and less than two days ago: no baseline yet."""
        return self.since is not None and self.since >= self.start + HOUR and now - self.since < 2 * 86400

    def describe_span(self) -> str:
        """'last 7 days': the data it was learnt from."""
        return "last " + describe_minutes((self.end - (self.since or self.start)) // 60)

    def describe(self) -> str:
        """Which baseline was used, for the answer."""
        if self.hourly:
            days = (
                "weekdays and weekends apart"
                if self.split_weekends
                else "every day alike, from " + ("weekends" if True in self.kinds else "weekdays")
            )
            rhythm = f"its traffic by hour of day ({days})"
        else:
            rhythm = "its average traffic (too little data for an hourly rhythm)"
        return f"the agent's own {self.describe_span()}: the lowest sustained level of each figure, and {rhythm}"


def learn(series: Series, now: int, start: int | None = None) -> Baseline:
    """The baseline of the data in `series` (complete periods before `now`; the data begins at `start`)."""
    begins = series.t0 if start is None else start
    complete = _complete(series, now)
    busy = [i for i in range(complete) if series.traces[i]]
    since = max(series.time(busy[0]), begins) if busy else None
    analysis = series.regroup(analysis_step(series))
    levels = {signal: _level(analysis, signal, _complete(analysis, now)) for signal in RATES}
    whole = -(-(begins - series.t0) // series.step)  # the first item the data covers whole
    hourly, flat, kinds = _traffic(series, complete, max(busy[0] + 1 if busy else complete, whole))
    return Baseline(
        {s: level for s, level in levels.items() if level is not None},
        hourly,
        flat,
        len(kinds) == 2,
        kinds,
        since,
        begins,
        min(now, series.time(len(series))),
    )


class Column:
    """One signal of a series, per item: its numerator (errors, latency or tokens summed) over its traces."""

    def __init__(self, series: Series, signal: Signal) -> None:
        self.traces = series.traces
        if signal == "error_rate":
            self.num: list[float] | list[int] = series.errors
        elif signal == "avg_latency_ms":
            self.num = series.latency_sum
        elif signal == "tokens_per_trace":
            self.num = [a + b for a, b in zip(series.input_tokens, series.output_tokens, strict=True)]
        else:
            self.num = series.traces
        self.at = [x / n if n else 0.0 for x, n in zip(self.num, self.traces, strict=True)]

    def pooled(self, ids: range | list[int]) -> tuple[float, int]:
        """The pooled value over items `ids`, and the traces it is over."""
        if len(ids) == 1:
            return self.at[ids[0]], self.traces[ids[0]]
        if isinstance(ids, range) and ids.step == 1:
            traces = sum(self.traces[ids.start : ids.stop])
            return (sum(self.num[ids.start : ids.stop]) / traces if traces else 0.0), traces
        traces = sum(self.traces[i] for i in ids)
        return (sum(self.num[i] for i in ids) / traces if traces else 0.0), traces


def _complete(series: Series, now: int) -> int:
    """How many leading items of `series` end by `now`."""
    return max(0, min(len(series), (now - series.t0) // series.step))


def _level(s: Series, signal: Signal, complete: int) -> Level | None:
    ids = [i for i in range(complete) if s.traces[i] >= MIN_TRACES]
    if not ids:
        return None
    column = Column(s, signal).at
    values = [column[i] for i in ids]
    weights = [float(s.traces[i]) for i in ids]
    core, noise = unit_noise(values, weights)
    if len(ids) < _FEW:
        noise = max(noise, _typical(signal, values, weights))  # too few periods to measure it: assume it wide
    if len(ids) < _SMOOTH:
        return Level(_typical(signal, values, weights), noise, len(ids), s.step)
    half = _SMOOTH // 2
    total_w = [0.0, *itertools.accumulate(weights)]
    total_vw = [0.0, *itertools.accumulate(v * w for v, w in zip(values, weights, strict=True))]
    smoothed, spread = [], []
    for k in range(len(ids)):
        lo, hi = max(0, k - half), min(len(ids), k + half + 1)
        w = total_w[hi] - total_w[lo]
        smoothed.append((total_vw[hi] - total_vw[lo]) / w)
        spread.append(3 * noise / w**0.5)
    anchor = sorted(smoothed)[int(_LOW_SHARE * (len(smoothed) - 1))]
    low = [k for k in range(len(ids)) if smoothed[k] <= anchor + spread[k]]
    low_values, low_weights = [values[k] for k in low], [weights[k] for k in low]
    typical = _typical(signal, low_values, low_weights)
    if signal == "error_rate":
        return Level(typical, noise, len(low), s.step)
    size, rate = _tail(values, weights, typical, (core, noise))
    return Level(typical, noise, len(low), s.step, size, rate)


def _tail(values: list[float], weights: list[float], typical: float, noise: tuple[float, float]) -> tuple[float, float]:
    """(size, rate) of rare huge traces, by moments: they lift the pooled mean above the typical period by
    rate * size, and the variance by rate * size^2. Only when the tail-matched noise is well above the
    robust one (a step or a spike does not do that: differences cancel it) and several such traces occurred.
    The few periods furthest up are left out of the lift: an incident's, where a tail's are many.
    """
    core, total = noise
    kept = sorted(zip(values, weights, strict=True))[: max(1, len(values) - max(_TRIM, len(values) // 50))]
    lift = sum(v * w for v, w in kept) / sum(w for _, w in kept) - typical
    if lift <= 0 or total < _HEAVY * core:
        return 0.0, 0.0
    size = max((total**2 - core**2) / lift, typical)
    if sum(weights) * lift / size < _TAIL_EVENTS:
        return 0.0, 0.0
    return size, lift / size


def _typical(signal: Signal, values: list[float], weights: list[float]) -> float:
    """Errors pool (a rate is a ratio of counts); means take the typical period (median), robust to tails."""
    if signal == "error_rate":
        return sum(v * w for v, w in zip(values, weights, strict=True)) / sum(weights)
    return weighted_median(values, weights)


Profile = dict[tuple[bool, int], tuple[float, int]]


def _traffic(series: Series, complete: int, first: int) -> tuple[Profile, tuple[float, int], frozenset[bool]]:
    """Traces per hour by (weekend, hour of day), the flat rate, and the kinds of day told apart.

    Weekends are told apart from weekdays when the data holds half a day of each; with only one kind
    the profile says nothing about the other.
    """
    if series.step > HOUR or HOUR % series.step:
        counts = series.traces[first:complete]
        return {}, ((median(counts) * HOUR / series.step, len(counts)) if counts else (0.0, 1)), frozenset()
    hours = series.regroup(HOUR)
    done = _complete(hours, series.time(complete))
    ids = range(max(0, (series.time(first) - hours.t0) // HOUR), done)
    if not ids:
        return {}, (0.0, 1), frozenset()
    if len(ids) < _MIN_PROFILE_HOURS:
        return {}, (0.0, 1), frozenset()  # less than a day: no rhythm known, so no traffic is expected of it
    flat = (float(median(hours.traces[i] for i in ids)), len(ids))
    weekend = [_weekend(hours.time(i)) for i in ids]
    split = min(sum(weekend), len(weekend) - sum(weekend)) >= _MIN_PROFILE_HOURS // 2
    by: dict[tuple[bool, int], list[int]] = defaultdict(list)
    for i, end_of_week in zip(ids, weekend, strict=True):
        by[(split and end_of_week, (hours.time(i) // HOUR) % 24)].append(hours.traces[i])
    profile = {key: (float(median(counts)), len(counts)) for key, counts in by.items()}
    return profile, flat, frozenset(weekend) if split else frozenset([max(set(weekend), key=weekend.count)])


def _weekend(t: int) -> bool:
    """Saturday or Sunday (UTC). The epoch began on a Thursday: day 5 of a week counted from Saturday."""
    return (t // 86400 + 5) % 7 < 2
