"""The verdict: the status, the one-sentence headline, and the last complete period against the typical values."""

from __future__ import annotations

from astro_mcp import formats as fmt
from astro_mcp.analysis.anomalies import ErrorJudge, LatencyJudge
from astro_mcp.analysis.grid import Series
from astro_mcp.analysis.results.metrics import MIN_TRACES, Comparison, Incident, LastPeriod, Status

DILUTING_MINUTES = 60  # periods longer than this can flatten a one-hour peak
_FEW_PERIODS = 4  # fewer periods than this give no typical value to stand out from
SLOWER = 0.3  # latency this much above the comparison's makes an agent degraded


def last_period(
    series: Series, i: int | None, errors: ErrorJudge, latency: LatencyJudge, incidents: list[Incident]
) -> LastPeriod | None:
    """Period i of the analysis grid (the last complete one) and whether it looks normal."""
    if i is None:
        return None
    traces, errs = series.traces[i], series.errors[i]
    if not traces:
        verdict = "no_traffic"
    elif traces < MIN_TRACES:
        verdict = "too_few_traces"
    else:
        flagged = errors.scores.get(i, 0.0) >= errors.threshold or latency.scores.get(i, 0.0) >= latency.threshold
        verdict = "elevated" if flagged or any(x.ongoing for x in incidents) else "normal"
    return LastPeriod(
        start=series.at(i),
        end=series.at(i + 1),
        trace_count=traces,
        error_count=errs,
        error_rate=errs / traces if traces else None,
        avg_latency_ms=series.latency(i),
        verdict=verdict,
    )


def status_of(traces: int, incidents: list[Incident], comparison: Comparison | None) -> Status:
    if not traces:
        return "no_traffic"
    if any(i.ongoing for i in incidents):
        return "incident"
    if incidents or (comparison is not None and _worse(comparison)):
        return "degraded"
    return "healthy"


def headline(
    status: Status,
    incidents: list[Incident],
    comparison: Comparison | None,
    figures: tuple[int, float | None, float | None],
    hint: str | None,
) -> str:
    """One sentence: what is wrong, since when, and whether it still is; or that nothing is."""
    traces, rate, latency = figures
    if status == "no_traffic" or rate is None or latency is None:
        return "No traces in this window: the agent served no traffic."
    if incidents:
        text = incidents[0].headline.removesuffix(".")
        others = len(incidents) - 1
        text += f" (+{fmt.plural(others, 'other incident')})" if others else ""
    elif status == "degraded" and comparison is not None:
        text = (
            f"No incident within the window, but worse than {comparison.label}: {_against(comparison, rate, latency)}"
        )
    else:
        text = (
            f"Healthy: {fmt.pct(rate)} errors, {fmt.ms(latency)} mean latency over "
            f"{fmt.plural(traces, 'trace')}, no incident"
        )
        if comparison is not None and comparison.trace_count:
            text += f", in line with {comparison.label}"
    return text + (f" ({hint})." if hint else ".")


def dilution(analysis_minutes: int, window_minutes: int) -> str | None:
    """Why a short peak may not show, right beside the figure it would hide in; None when it would show."""
    periods = window_minutes // analysis_minutes
    if periods < _FEW_PERIODS:
        return (
            f"only {periods or 'part of one'} {sized(analysis_minutes)} period{'s' if periods > 1 else ''}, too few "
            "to tell a peak from the typical value: use a smaller interval, or zoom in with start_time/end_time"
        )
    if analysis_minutes > DILUTING_MINUTES:
        return f"{sized(analysis_minutes)} averages; the worst hour may be higher: zoom in with start_time/end_time"
    return None


def sized(minutes: int) -> str:
    """'6-hour' as an adjective, but '1 day 5 hours' where the adjective would read '1743-minute'."""
    adjective = fmt.minutes(minutes, adjective=True)
    return adjective if int(adjective.split("-")[0]) < 100 else fmt.minutes(minutes)


def _worse(c: Comparison) -> bool:
    return c.error_rate_verdict == "higher" or (c.latency_change is not None and c.latency_change >= SLOWER)


def _against(c: Comparison, rate: float, latency: float) -> str:
    parts = []
    if c.error_rate_verdict == "higher" and c.error_rate is not None:
        parts.append(f"error rate {fmt.pct(rate)} vs {fmt.pct(c.error_rate)}")
    if c.latency_change is not None and c.latency_change >= SLOWER and c.avg_latency_ms is not None:
        parts.append(f"latency {fmt.ms(latency)} vs {fmt.ms(c.avg_latency_ms)}")
    return ", ".join(parts)
