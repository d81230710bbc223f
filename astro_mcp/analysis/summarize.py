"""Buckets in, a summary a model can reason over out. Pure: no clock reads, no I/O.

The API leaves out buckets with no traces, so the series is first laid on a gap-filled grid aligned
to multiples of the interval since the epoch: a missing bucket is idle time (zeros), never missing
data. Every figure is computed from every bucket; totals are exact integers, means are weighted by
traces (`sum(avg_latency_ms * trace_count) / sum(trace_count)`).

The verdict comes from the detection engine (`detect`, `assess`): the status and "now" from the most
recent data whatever the window, the window's incidents beside them. The figures' own periods (busiest,
worst) are on an *analysis grid*: the data grid coarsened until a typical period holds enough traces.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime

from astro_mcp.analysis.anomalies import ErrorJudge, LatencyJudge, period
from astro_mcp.analysis.assess import Recent, assess
from astro_mcp.analysis.baseline import HOUR, Signal
from astro_mcp.analysis.compare import Reference, compare
from astro_mcp.analysis.detect import Diagnosis, diagnose
from astro_mcp.analysis.grid import Series, analysis_step, lay_on_grid, nice_step
from astro_mcp.analysis.periods import dilution
from astro_mcp.analysis.results.metrics import (
    COLUMNS,
    MIN_TRACES,
    Comparison,
    Idle,
    Incident,
    MetricsSummary,
    Period,
    Table,
    TokensPerTrace,
    Totals,
    Window,
)
from astro_mcp.analysis.story import abnormal, incident, told, used
from astro_mcp.analysis.trend import trend
from astro_mcp.analysis.verdict import headline, now_period, now_span
from astro_mcp.domain import Bucket, MetricsQuery
from astro_mcp.formats import minutes as describe_minutes
from astro_mcp.formats import when

MAX_TABLE_ROWS = 40  # leaves room under the 12,000-character bound for three incidents of 64-character slugs
MAX_INCIDENTS = 3


def summarize(
    query: MetricsQuery,
    buckets: Sequence[Bucket],
    interval_minutes: int,
    reference: Reference | None = None,
    recent: Recent | None = None,
) -> MetricsSummary:
    """Summarize `buckets` (as the API returned them, at `interval_minutes`) over `query`'s window.

    `recent` is the most recent data whatever the window: the status and "now" come from it, the same in
    every window. Without it, the window (with the one before it) is all there is to judge by.
    """
    series, notes = _laid(query, buckets, interval_minutes)
    start, end = int(query.start.timestamp()), int(query.end.timestamp())
    totals = _totals(series)
    traces = totals.trace_count
    if traces:
        notes.extend(_edge_notes(series, start, end, query.live))
    analysis = series.regroup(analysis_step(series))
    current = recent.assessed() if recent is not None else _judged_alone(series, query, reference)
    found = _incidents(query, series, current)
    worst_errors, worst_latency = _worst(analysis, query, found, reference, notes)
    table = (
        _table(series, analysis) if traces else Table(interval_minutes=interval_minutes, columns=list(COLUMNS), rows=[])
    )
    comparison = _compared(reference, series, query, table.interval_minutes * 60, current)
    error_rate = totals.error_count / traces if traces else None
    avg_latency = math.fsum(series.latency_sum) / traces if traces else None
    figures = (traces, error_rate, avg_latency, current.baseline.expected(start, end - start)[0])
    fine = recent.fine_series() if recent is not None else series
    last_hour = now_span(fine, current.now) or (current.now - HOUR, current.now)
    return MetricsSummary(
        account=query.account,
        name=query.name,
        status=current.status,
        headline=headline(current, found, comparison, figures, _hint(analysis, start, end)),
        window=Window(start=query.start, end=query.end, interval_minutes=interval_minutes, bucket_count=len(series)),
        totals=totals,
        error_rate=error_rate,
        avg_latency_ms=avg_latency,
        tokens_per_trace=TokensPerTrace(input=totals.input_tokens / traces, output=totals.output_tokens / traces)
        if traces
        else None,
        traces_per_hour=traces * 3600 / (end - start),
        analysis_minutes=analysis.step // 60,
        now=now_period(fine, current),
        baseline=used(current, last_hour),
        incidents=found[:MAX_INCIDENTS],
        more_incidents=max(0, len(found) - MAX_INCIDENTS),
        comparison=comparison,
        busiest=period(analysis, max(range(len(analysis)), key=analysis.traces.__getitem__), None) if traces else None,
        worst_error_rate=_typical(worst_errors, current, "error_rate"),
        worst_latency=_typical(worst_latency, current, "avg_latency_ms"),
        trend=trend(analysis, (start, end), _spike_periods(analysis, found)),
        idle=_idle(series, start, end),
        notes=notes,
        table=table,
    )


def _totals(series: Series) -> Totals:
    return Totals(
        trace_count=sum(series.traces),
        error_count=sum(series.errors),
        input_tokens=sum(series.input_tokens),
        output_tokens=sum(series.output_tokens),
    )


def _incidents(query: MetricsQuery, series: Series, current: Diagnosis) -> list[Incident]:
    """What the window tells beside the agent's state now, ongoing ones first, newest first."""
    start, end = int(query.start.timestamp()), int(query.end.timestamp())
    window = diagnose(series, end, current.baseline, start)
    stopped = next((f.start for f in current.findings if f.signal == "traffic" and f.state != "over"), None)
    return sorted(
        (incident(query.agent, f, (start, end), current.now, stopped) for f in told(current, window, (start, end))),
        key=lambda i: (not i.ongoing, -i.start.timestamp()),
    )


def _laid(query: MetricsQuery, buckets: Sequence[Bucket], interval_minutes: int) -> tuple[Series, list[str]]:
    """The buckets on the window's grid, and the notes so far: the query's, the grid's, a changed interval."""
    series, notes = lay_on_grid(buckets, interval_minutes, query.start, query.end)
    notes = list(query.notes) + notes
    if interval_minutes != query.interval_minutes:
        notes.append(
            f"The API answered with {describe_minutes(interval_minutes)} buckets although "
            f"{describe_minutes(query.interval_minutes)} were asked for; figures use what it sent."
        )
    return series, notes


def _worst(
    analysis: Series, query: MetricsQuery, found: list[Incident], reference: Reference | None, notes: list[str]
) -> tuple[Period | None, Period | None]:
    """The analysis periods of worst error rate and latency, among those wholly in the window (and settled);
    a note where no period has traces enough to be judged."""
    start, end = int(query.start.timestamp()), int(query.end.timestamp())
    complete = [
        i
        for i in range(len(analysis))
        if _covered(analysis, i, start, end) == analysis.step and not (query.live and analysis.time(i + 1) >= end)
    ]
    eligible = [i for i in range(len(analysis)) if analysis.traces[i] >= MIN_TRACES]
    if sum(analysis.traces) and not eligible:
        notes.append(
            f"No {describe_minutes(analysis.step // 60)} period has {MIN_TRACES} or more traces, so no period's "
            "error rate or latency is judged against a typical value."
        )
    pool = reference.series(analysis.step) if reference is not None else None
    errors = ErrorJudge(analysis, eligible, pool)
    latency = LatencyJudge(analysis, eligible, pool)
    return (
        errors.worst(complete, _periods_of(analysis, found, "error_rate")),
        latency.worst(complete, _periods_of(analysis, found, "avg_latency_ms")),
    )


def _compared(
    reference: Reference | None, series: Series, query: MetricsQuery, table_step: int, current: Diagnosis
) -> Comparison | None:
    """The window against `reference`, and whether that earlier window was itself abnormal."""
    if reference is None:
        return None
    comparison = compare(reference, series, (query.start, query.end), table_step)
    return comparison.model_copy(update={"abnormal": abnormal(current, comparison)})


def _typical(worst: Period | None, current: Diagnosis, signal: Signal) -> Period | None:
    """The worst period against the agent's typical level (the one its verdict uses), where it has one."""
    level = current.baseline.levels.get(signal)
    if worst is None or level is None:
        return worst
    return worst.model_copy(update={"baseline": level.value})


def _judged_alone(series: Series, query: MetricsQuery, reference: Reference | None) -> Diagnosis:
    """Without the most recent data: the window, and the one just before it when it is on the same grid."""
    end = int(query.end.timestamp())
    own = (int(query.start.timestamp()),) * 2
    if reference is None or not reference.contiguous or reference.interval_minutes * 60 != series.step:
        return assess(series, None, end, own)
    before = reference.series(series.step)
    if before.time(len(before)) != series.t0:
        return assess(series, None, end, own)
    both = Series(
        before.t0,
        series.step,
        before.traces + series.traces,
        before.errors + series.errors,
        before.latency_sum + series.latency_sum,
        before.input_tokens + series.input_tokens,
        before.output_tokens + series.output_tokens,
    )
    return assess(both, None, end, (int(reference.start.timestamp()),) * 2)


def _hint(analysis: Series, start: int, end: int) -> str | None:
    return dilution(analysis.step // 60, (end - start) // 60) if sum(analysis.traces) else None


def _spike_periods(analysis: Series, incidents: list[Incident]) -> set[int]:
    return _periods_of(analysis, [i for i in incidents if i.kind == "spike" and i.end is not None])


def _periods_of(analysis: Series, incidents: list[Incident], metric: str | None = None) -> set[int]:
    """The analysis periods that `incidents` (those with `metric`, if given) overlap."""
    end = analysis.time(len(analysis))
    return {
        k
        for i in incidents
        if metric is None or metric in i.metrics
        for k in analysis.overlapping(int(i.start.timestamp()), int(i.end.timestamp()) if i.end else end)
    }


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
        step = nice_step(series.step, factor)
        # Regrouping the (smaller) analysis series gives the same rows when its step divides ours.
        rows = (analysis if step % analysis.step == 0 else series).regroup(step)
        if len(rows) <= MAX_TABLE_ROWS:
            break
        factor += 1
    return Table(
        interval_minutes=rows.step // 60,
        columns=list(COLUMNS),
        rows=[
            (rows.at(i), rows.traces[i], rows.errors[i], rows.latency(i), rows.input_tokens[i], rows.output_tokens[i])
            for i in range(len(rows))
        ],
    )


def _at(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
