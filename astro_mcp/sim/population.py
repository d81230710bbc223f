"""Which traces the simulator holds: each minute's, drawn from its per-minute series, without their content.

Each minute's traces are generated from a seed of (agent, minute): as many as the minute's `trace_count`,
exactly `error_count` of them errors, with latencies whose mean is the minute's mean. So for any window the
error traces' `total` is the metrics' `error_count` sum, and the summary's mean latency is the metrics'
trace-weighted mean. During an error incident most errors are one step's failure (the agent's story says
which: by default `lookup_order` timeouts). What a trace says is `sim.traces`'.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from astro_mcp.sim.data import DAY, Agent, Series, days_of
from astro_mcp.sim.story import Story

K = TypeVar("K")
V = TypeVar("V")

OPERATIONS = ("answer_question", "lookup_order", "search_kb", "create_ticket")


@dataclass(frozen=True, slots=True)
class Skeleton:
    """What a trace is, without its content: enough for totals, latencies and paging."""

    minute: int
    index: int
    second: float
    error: bool
    name: str
    latency_ms: float


@dataclass(frozen=True, slots=True)
class AgentView:
    """One agent as the simulator holds it: its definition, its seed, its series by day, its anchor and now."""

    agent: Agent
    seed: str
    series_of: Callable[[int], Series]  # day -> that day's series
    anchor: datetime
    now: datetime
    story: Story


def kept(store: dict[K, V], size: int, key: K, make: Callable[[], V]) -> V:
    """`store[key]`, made by `make` when missing; past `size` entries, the oldest one goes."""
    if key not in store:
        if len(store) >= size:
            del store[next(iter(store))]
        store[key] = make()
    return store[key]


def latencies(view: AgentView, first: int, last: int) -> list[float]:
    """Every trace's latency in [first, last). Days are drawn once a process: a 30-day p95 reads 80,000 traces."""
    result: list[float] = []
    for day, lo, hi in days_of(first, last):
        key = (view.seed, view.agent, view.anchor, view.story, day)  # all a minute's draw depends on
        drawn = kept(_DRAWN, 256, key, functools.partial(_drawn_day, view, day))
        result += [latency for minute in drawn[lo:hi] for latency in minute]
    return result


def _drawn_day(view: AgentView, day: int) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(d[3]) if d else () for d in (_draw(view, day * DAY + m) for m in range(DAY)))


# Each minute's latencies, by day; tuples, which the cycle collector stops walking (see `sim.data.Series`).
_DRAWN: dict[tuple[str, Agent, datetime, Story, int], tuple[tuple[float, ...], ...]] = {}


def minute_skeletons(view: AgentView, minute: int) -> list[Skeleton]:
    """The traces of one minute, newest first."""
    drawn = _draw(view, minute)
    if drawn is None:
        return []
    rng, errors, names, latencies = drawn
    seconds = sorted((rng.uniform(0, 59.999) for _ in latencies), reverse=True)
    return [Skeleton(minute, i, seconds[i], i in errors, names[i], latencies[i]) for i in range(len(latencies))]


def _draw(view: AgentView, minute: int) -> tuple[random.Random, set[int], list[str], list[float]] | None:
    """One minute's traces before their seconds: (the generator, which failed, operations, latencies)."""
    day, offset = divmod(minute, DAY)
    series = view.series_of(day)
    count = series.traces[offset]
    if not count:
        return None
    rng = random.Random(f"{view.seed}/{minute}")
    failed = series.errors[offset]
    errors = set(rng.sample(range(count), failed)) if failed else set()  # a sample of none draws nothing
    incident = error_incident(view, minute) is not None
    failing = view.story.failing.operation
    names = [_operation(rng, i in errors, incident, failing) for i in range(count)]
    weights = [rng.lognormvariate(0, 0.35) * (4.0 if i in errors and incident else 1.0) for i in range(count)]
    scale = series.latency_sum[offset] / sum(weights)  # the minute's mean latency is the metrics' mean
    return rng, errors, names, [round(w * scale, 1) for w in weights]


def _operation(rng: random.Random, error: bool, incident: bool, failing: str) -> str:
    if error and incident and rng.random() < 0.75:
        return failing
    return rng.choice(OPERATIONS)


def error_incident(view: AgentView, minute: int) -> tuple[int, int] | None:
    """(first, last + 1) minute of the error incident covering `minute`, if any."""
    anchor_minute = math.floor(view.anchor.timestamp() / 60)
    for incident in view.agent.incidents:
        begins = anchor_minute + int(incident.begins.total_seconds() // 60)
        ends = begins + int(incident.lasts.total_seconds() // 60)
        if incident.error_rate is not None and begins <= minute < ends:
            return begins, ends
    return None


def matching(view: AgentView, first: int, last: int, status: str | None) -> Iterator[Skeleton]:
    """Traces of minutes [first, last) with `status` ('ok', 'error' or None for all), newest first."""
    for minute in range(last - 1, first - 1, -1):
        day, offset = divmod(minute, DAY)
        if _count(view.series_of(day), offset, status):
            for skeleton in minute_skeletons(view, minute):
                if status is None or skeleton.error == (status == "error"):
                    yield skeleton


def total(view: AgentView, first: int, last: int, status: str | None) -> int:
    """How many traces of [first, last) have `status`, from the series alone."""
    result = 0
    for day, lo, hi in days_of(first, last):
        series = view.series_of(day)
        errors = sum(series.errors[lo:hi])
        result += errors if status == "error" else sum(series.traces[lo:hi]) - (errors if status == "ok" else 0)
    return result


def _count(series: Series, offset: int, status: str | None) -> int:
    errors = series.errors[offset]
    return errors if status == "error" else series.traces[offset] - errors if status == "ok" else series.traces[offset]
