"""Silence: traffic stopped, or collapsed, against what this agent normally sends at those hours.

Judged on whole hours (or the data's own periods when coarser), so an agent that works in bursts within
the hour is not silent between them; the onset is then placed at the end of the last bucket with traces.
"""

from __future__ import annotations

from dataclasses import dataclass

from astro_mcp.analysis.baseline import HOUR, Baseline
from astro_mcp.analysis.grid import Series, nice_step
from astro_mcp.analysis.robust import lower_z, threshold

COLLAPSE = 0.2  # traffic at most this share of the expected is a collapse
MIN_EXPECTED = 12.0  # traces a silence must have been expected to carry, to be told from a quiet spell
_SURE = 2.0  # the expected traffic is taken this many standard errors low: it was learnt from a few days


@dataclass(frozen=True)
class Silence:
    start: int  # epoch seconds: the end of the last bucket with traces before it
    end: int  # when traffic came back; or, while ongoing, the end of the whole hours judged
    ongoing: bool
    observed: int
    expected: float
    score: float


def silences(series: Series, span: tuple[int, int], base: Baseline, alpha: float) -> list[Silence]:
    """Every stretch of whole hours in `span` (start, now) whose traffic collapsed beyond chance, after the
    agent's first trace."""
    if base.since is None:
        return []
    begins, now = span
    hours = series if series.step >= HOUR else series.regroup(nice_step(series.step, -(-HOUR // series.step)))
    complete = max(0, min(len(hours), (now - hours.t0) // hours.step))
    # The hour of the first trace is partly before it; an hour the data only partly covers is not judged.
    first = max(0, (base.since - hours.t0) // hours.step + 1, -(-(begins - hours.t0) // hours.step))
    expected = {i: base.expected(hours.time(i), hours.step)[0] for i in range(first, complete)}
    runs: list[list[int]] = []
    extend = False
    for i in range(first, complete):
        if expected[i] < 0.5 and not hours.traces[i]:
            continue  # nothing expected, nothing came: neither starts nor breaks a run
        low = hours.traces[i] <= COLLAPSE * expected[i]
        if low and extend:
            runs[-1].append(i)
        elif low:
            runs.append([i])
        extend = low
    bar = threshold(alpha, complete - first)
    found = []
    for run in runs:
        start = _onset(series, hours.time(run[0]), hours.traces[run[0]])
        end = hours.time(run[-1] + 1)
        observed = sum(series.traces[i] for i in series.overlapping(start, end))
        lam, variance = base.expected(start, end - start)
        sure = lam - _SURE * variance**0.5
        if sure < MIN_EXPECTED or observed > COLLAPSE * lam:
            continue
        score = lower_z(observed, sure)
        if score < bar:
            continue
        ongoing = run[-1] == complete - 1 and _still_quiet(series, base, end, now)
        found.append(Silence(start, end, ongoing, observed, lam, score))
    return found


def _onset(series: Series, begins: int, traces: int) -> int:
    """Where a silence starting in the hour at `begins` began: after the last bucket with traces before it."""
    if traces:
        return begins  # a collapse, not a stop: the hour is the finest we can tell
    last = next((i for i in reversed(series.overlapping(begins - HOUR, begins)) if series.traces[i]), None)
    return series.time(last + 1) if last is not None else begins


def _still_quiet(series: Series, base: Baseline, since: int, now: int) -> bool:
    """The part of an hour after the last whole one has not brought traffic back."""
    if now <= since:
        return True
    observed = sum(series.traces[i] for i in series.overlapping(since, now))
    return observed <= max(2.0, COLLAPSE * base.expected(since, now - since)[0])
