"""Buckets in, a summary a model can reason over out. Pure: no clock reads, no I/O.

The API leaves out buckets with no traces, so the series is first laid on a gap-filled grid aligned
to multiples of the interval since the epoch: a missing bucket is idle time (zeros), never missing
data. Every figure is computed from every bucket; totals are exact integers, means are weighted by
traces (`sum(avg_latency_ms * trace_count) / sum(trace_count)`), and nothing is rounded here.

Peaks and anomalies are judged on an *analysis grid*: the data grid coarsened until a typical period
holds enough traces to mean something (30 days of 1-minute buckets holding 2 traces each would
otherwise make one failed trace a "100% error spike").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal

from astro_mcp.analysis.anomalies import ErrorJudge, LatencyJudge, period
from astro_mcp.analysis.grid import Series, lay_on_grid
from astro_mcp.analysis.results import (
    COLUMNS,
    MIN_TRACES,
    Change,
    Idle,
    MetricsSummary,
    Table,
    TokensPerTrace,
    Totals,
    Trend,
    Window,
)
from astro_mcp.domain import Bucket, MetricsQuery
from astro_mcp.formats import minutes as describe_minutes
from astro_mcp.formats import when

MAX_TABLE_ROWS = 48
MAX_ANOMALIES = 5
_TARGET_TRACES = 30  # the analysis grid aims for this many traces in an average period
_MIN_PERIODS = 12  # ... but keeps at least this many periods
_NICE_MINUTES = (1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440, 2880, 4320, 10080, 20160, 40320)


def summarize(query: MetricsQuery, buckets: Sequence[Bucket], interval_minutes: int) -> MetricsSummary:
    """Summarize `buckets` (as the API returned them, at `interval_minutes`) over `query`'s window."""
    series, notes = lay_on_grid(buckets, interval_minutes, query.start, query.end)
    notes = list(query.notes) + notes
    if interval_minutes != query.interval_minutes:
        notes.append(
            f"The API answered with {describe_minutes(interval_minutes)} buckets although "
            f"{describe_minutes(query.interval_minutes)} were asked for; figures use what it sent."
        )
    start, end = int(query.start.timestamp()), int(query.end.timestamp())
    totals = Totals(
        trace_count=sum(series.traces),
        error_count=sum(series.errors),
        input_tokens=sum(series.input_tokens),
        output_tokens=sum(series.output_tokens),
    )
    traces = totals.trace_count
    latency_total = math.fsum(series.latency_sum)
    hours = (end - start) / 3600
    notes.extend(_edge_notes(series, start, end, query.live))

    analysis = series.regroup(_analysis_step(series, traces))
    full = [i for i in range(len(analysis)) if _covered(analysis, i, start, end) == analysis.step]
    eligible = [i for i in range(len(analysis)) if analysis.traces[i] >= MIN_TRACES]
    if traces and not eligible:
        notes.append(
            f"No {describe_minutes(analysis.step // 60)} period has {MIN_TRACES} or more traces, so no period's "
            "error rate or latency is judged against a typical value."
        )
    with_traffic = [i for i in full if analysis.traces[i]]
    busiest = max(range(len(analysis)), key=analysis.traces.__getitem__) if traces else None
    quietest = min(with_traffic, key=analysis.traces.__getitem__) if with_traffic else None
    errors = ErrorJudge(analysis, eligible, (start, end))
    latency = LatencyJudge(analysis, eligible, (start, end))
    anomalies = sorted(errors.episodes() + latency.episodes(), key=lambda a: (-a.score, a.start))
    return MetricsSummary(
        account=query.account,
        name=query.name,
        window=Window(
            start=query.start,
            end=query.end,
            interval_minutes=interval_minutes,
            bucket_count=len(series),
        ),
        totals=totals,
        error_rate=totals.error_count / traces if traces else None,
        avg_latency_ms=latency_total / traces if traces else None,
        tokens_per_trace=TokensPerTrace(input=totals.input_tokens / traces, output=totals.output_tokens / traces)
        if traces
        else None,
        traces_per_hour=traces / hours,
        analysis_minutes=analysis.step // 60,
        busiest=period(analysis, busiest, None) if busiest is not None else None,
        quietest=period(analysis, quietest, None) if quietest not in (None, busiest) else None,
        worst_error_rate=errors.worst(),
        worst_latency=latency.worst(),
        anomalies=anomalies[:MAX_ANOMALIES],
        more_anomalies=max(0, len(anomalies) - MAX_ANOMALIES),
        trend=_trend(series, start, end),
        idle=_idle(series, start, end),
        notes=notes,
        table=_table(series, analysis)
        if traces
        else Table(interval_minutes=interval_minutes, columns=list(COLUMNS), rows=[]),
    )


def _covered(series: Series, i: int, start: int, end: int) -> int:
    """Seconds of item i that lie inside [start, end)."""
    return max(0, min(series.time(i + 1), end) - max(series.time(i), start))


def _edge_notes(series: Series, start: int, end: int, live: bool) -> list[str]:
    notes = []
    minutes = series.step // 60
    if start != series.t0:
        covered = _covered(series, 0, start, end) // 60
        notes.append(
            f"The first bucket ({when(_at(series.t0))}) covers only {covered} of its {minutes} minutes: "
            "the window starts inside it, so its counts are partial."
        )
    last = len(series) - 1
    if live:
        notes.append(
            f"The window ends now: the last bucket ({when(series.at(last))}) is still filling and the "
            "newest traces may not be ingested yet, so its counts will grow."
        )
    elif end != series.time(last + 1) and last > 0:
        covered = _covered(series, last, start, end) // 60
        notes.append(
            f"The last bucket ({when(series.at(last))}) covers only {covered} of its {minutes} minutes: "
            "the window ends inside it, so its counts are partial."
        )
    return notes


def _analysis_step(series: Series, traces: int) -> int:
    """The coarsest step needed for an average period to hold enough traces, keeping enough periods."""
    n = len(series)
    if traces == 0:
        return series.step
    factor = min(math.ceil(_TARGET_TRACES * n / traces), max(1, n // _MIN_PERIODS))
    return _nice_step(series.step, factor)


def _nice_step(step: int, factor: int) -> int:
    """The smallest round multiple of `step` that is at least `factor` times it."""
    minutes = step // 60
    for nice in _NICE_MINUTES:
        if nice >= minutes * factor and nice % minutes == 0:
            return nice * 60
    return step * factor


def _trend(series: Series, start: int, end: int) -> Trend:
    """The first half of the window against the second; a bucket goes to the half its midpoint is in."""
    middle = (start + end) / 2
    k = min(len(series), max(0, math.ceil((middle - series.t0 - series.step / 2) / series.step)))
    boundary = min(max(series.time(k), start), end)
    t1, t2 = sum(series.traces[:k]), sum(series.traces[k:])
    e1, e2 = sum(series.errors[:k]), sum(series.errors[k:])
    l1, l2 = math.fsum(series.latency_sum[:k]), math.fsum(series.latency_sum[k:])
    s1, s2 = boundary - start, end - boundary
    return Trend(
        traces_per_hour=_change(t1 * 3600 / s1 if s1 else None, t2 * 3600 / s2 if s2 else None, 0.10, 0),
        error_rate=_change(e1 / t1 if t1 else None, e2 / t2 if t2 else None, 0.25, 0.005),
        avg_latency_ms=_change(l1 / t1 if t1 else None, l2 / t2 if t2 else None, 0.10, 0),
    )


def _change(first: float | None, second: float | None, relative: float, absolute: float) -> Change:
    """Up or down when the halves differ by more than `relative` of the first and `absolute` too."""
    if first is None or second is None:
        direction: Literal["up", "down", "steady", "unknown"] = "unknown"
    elif abs(second - first) <= max(relative * first, absolute):
        direction = "steady"
    else:
        direction = "up" if second > first else "down"
    return Change(first_half=first, second_half=second, direction=direction)


def _idle(series: Series, start: int, end: int) -> Idle:
    """Idle buckets, and the longest idle stretch, told within the window [start, end)."""
    longest = best_start = run = 0
    for i, traces in enumerate(series.traces):
        run = run + 1 if traces == 0 else 0
        if run > longest:
            longest, best_start = run, i - run + 1
    if not longest:
        return Idle(idle_buckets=0, longest_start=None, longest_end=None, longest_minutes=0)
    first, last = max(series.time(best_start), start), min(series.time(best_start + longest), end)
    return Idle(
        idle_buckets=series.traces.count(0),
        longest_start=_at(first),
        longest_end=_at(last),
        longest_minutes=(last - first) // 60,
    )


def _table(series: Series, analysis: Series) -> Table:
    """At most MAX_TABLE_ROWS rows: coarser rows (counts summed, latency trace-weighted) when needed."""
    factor = -(-len(series) // MAX_TABLE_ROWS)
    while True:
        step = _nice_step(series.step, factor)
        # Regrouping the (smaller) analysis series gives the same rows when its step divides ours.
        rows = (analysis if step % analysis.step == 0 else series).regroup(step)
        if len(rows) <= MAX_TABLE_ROWS:
            break
        factor += 1
    return Table(
        interval_minutes=rows.step // 60,
        columns=list(COLUMNS),
        rows=[
            (
                rows.at(i),
                rows.traces[i],
                rows.errors[i],
                _round(rows.latency(i)),
                rows.input_tokens[i],
                rows.output_tokens[i],
            )
            for i in range(len(rows))
        ],
    )


def _round(latency: float | None) -> float | None:
    return None if latency is None else round(latency, 1)


def _at(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
