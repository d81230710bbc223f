"""Silence: traffic stopped, or collapsed, against what this agent normally sends at those hours.

Traffic is first judged on whole hours (or the data's own periods when coarser), so an agent that works
in bursts within the hour is not silent between them, and on the part of an hour up to the data's last
complete bucket (the one still filling may lack traces not yet ingested), so an outage that began minutes
ago is seen. A stretch of periods far below their expected traffic is a candidate. Its onset (and, once
traffic came back, its end) is then placed at the data's own resolution where a drop is likeliest (a
Poisson likelihood ratio), and the stretch as a whole must have collapsed, beyond chance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from astro_mcp.analysis.baseline import HOUR, Baseline
from astro_mcp.analysis.grid import Series, nice_step
from astro_mcp.analysis.robust import lower_z, threshold

COLLAPSE = 0.25  # a stretch that carried at most this share of its expected traffic has collapsed
_LOW = 0.4  # a period at most this share of its expected traffic starts or extends a candidate stretch
MIN_EXPECTED = 12.0  # traces a silence must have been expected to carry, to be told from a quiet spell
MIN_SPAN = 600  # seconds: a shorter gap may be traces not yet ingested
_SURE = 2.0  # the expected traffic is taken this many standard errors low: it was learnt from a few days

Span = tuple[int, int]  # [start, end) in epoch seconds


@dataclass(frozen=True)
class Silence:
    start: int  # epoch seconds: where the drop is likeliest to have begun (after the last traces, for a stop)
    end: int  # when traffic came back; or, while ongoing, the end of the last complete bucket
    ongoing: bool
    observed: int
    expected: float
    score: float


def silences(series: Series, span: Span, base: Baseline, alpha: float) -> list[Silence]:
    """Every stretch in `span` (start, now) whose traffic collapsed beyond chance, after the agent's first trace."""
    if base.since is None:
        return []
    periods = _periods(series, base, span)
    bar = threshold(alpha, len(periods))
    found = []
    for run in _runs(series, base, periods):
        ongoing = run[-1] == len(periods) - 1
        got = _placed(series, base, (periods[run[0]][0], periods[run[-1]][1]), ongoing, periods[-1][1])
        if got is None:
            continue
        start, end = got
        observed = _count(series, start, end)
        lam, variance = base.expected(start, end - start)
        score = lower_z(observed, lam - _SURE * math.sqrt(variance))
        if score >= bar:
            found.append(Silence(start, end, ongoing, observed, lam, score))
    return found


def _periods(series: Series, base: Baseline, span: Span) -> list[Span]:
    """The whole hours (or coarser periods) judged, from the first one after the agent's first trace, and the
    part of a period up to now."""
    begins, now = span
    now = min(now, series.time(max(0, min(len(series), (now - series.t0) // series.step))))  # its last bucket fills
    hours = series if series.step >= HOUR else series.regroup(nice_step(series.step, -(-HOUR // series.step)))
    since = base.since or begins
    first = max(0, (since - hours.t0) // hours.step + 1, -(-(begins - hours.t0) // hours.step))
    complete = max(0, min(len(hours), (now - hours.t0) // hours.step))
    periods = [(hours.time(i), hours.time(i + 1)) for i in range(first, complete)]
    if first <= complete and hours.time(complete) < now:
        periods.append((hours.time(complete), now))
    return periods


def _runs(series: Series, base: Baseline, periods: list[Span]) -> list[list[int]]:
    """Stretches of consecutive periods each far below its expected traffic."""
    runs: list[list[int]] = []
    extend = False
    for i, (start, end) in enumerate(periods):
        expected = base.expected(start, end - start)[0]
        observed = _count(series, start, end)
        if expected < 0.5 and not observed:
            continue  # nothing expected, nothing came: neither starts nor breaks a run
        low = observed <= _LOW * expected
        if low and extend:
            runs[-1].append(i)
        elif low:
            runs.append([i])
        extend = low
    return runs


def _placed(series: Series, base: Baseline, stretch: Span, ongoing: bool, limit: int) -> Span | None:
    """The stretch's onset, and its end unless `ongoing`, moved by up to a period each way (not past `limit`),
    at the data's own resolution, to where a collapse is likeliest; None when no placement is a collapse."""
    width, step = max(HOUR, series.step), series.step
    lo = max(base.since or series.t0, series.t0, stretch[0] - width)
    starts = range(-(-lo // step) * step, stretch[0] + width + 1, step)
    best = _likeliest(series, base, [(s, stretch[1]) for s in starts])
    if best is None or ongoing:
        return best
    ends = range(max(best[0] + step, stretch[1] - width), min(stretch[1] + width, limit) + 1, step)
    return _likeliest(series, base, [(best[0], e) for e in ends])


def _likeliest(series: Series, base: Baseline, candidates: list[Span]) -> Span | None:
    """Of the candidate spans that collapsed and were long and busy enough to tell, the likeliest drop."""
    best: tuple[float, Span] | None = None
    for start, end in candidates:
        if end - start < MIN_SPAN:
            continue
        lam, variance = base.expected(start, end - start)
        observed = _count(series, start, end)
        if lam - _SURE * math.sqrt(variance) < MIN_EXPECTED or observed > COLLAPSE * lam:
            continue
        drop = lam - observed + (observed * math.log(observed / lam) if observed else 0.0)
        if best is None or drop > best[0]:
            best = (drop, (start, end))
    return None if best is None else best[1]


def _count(series: Series, start: int, end: int) -> int:
    items = series.overlapping(start, end)
    return sum(series.traces[items.start : items.stop])
