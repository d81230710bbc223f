"""The verdict: the one-sentence headline and the "now" line, both from the one "now", the same in every window."""

from __future__ import annotations

from datetime import UTC, datetime

from astro_mcp import formats as fmt
from astro_mcp.analysis.detect import Diagnosis
from astro_mcp.analysis.episode import Finding
from astro_mcp.analysis.grid import Series
from astro_mcp.analysis.results.metrics import MIN_TRACES, Comparison, Incident, LastPeriod
from astro_mcp.analysis.story import FEW_TRACES, sentence

SLOWER = 0.3  # latency (or tokens per trace) this much away from the comparison's is a change worth saying
_NOW = 3600  # the "now" line covers the last hour


def now_span(fine: Series, now: int) -> tuple[int, int] | None:
    """What the "now" line covers: the last hour of the fine view up to its last complete bucket (epoch seconds)."""
    end = fine.t0 + max(0, min(len(fine), (now - fine.t0) // fine.step)) * fine.step
    ids = fine.overlapping(end - _NOW, end)
    return (fine.time(ids.start), end) if ids else None


def now_period(fine: Series, current: Diagnosis) -> LastPeriod | None:
    """The last hour of the fine view, and whether it looks normal: elevated while anything is wrong now, and what."""
    status = current.status
    span = now_span(fine, current.now)
    if span is None:
        return None
    ids, end = fine.overlapping(*span), span[1]
    traces, errors = sum(fine.traces[i] for i in ids), sum(fine.errors[i] for i in ids)
    latency = sum(fine.latency_sum[i] for i in ids)
    tokens = sum(fine.input_tokens[i] + fine.output_tokens[i] for i in ids)
    unusual = [] if status in ("healthy", "recovered", "no_traffic") else _unusual(current)
    if status in ("outage", "incident", "degraded"):
        verdict = "elevated" if traces else "no_traffic"
    else:
        verdict = "no_traffic" if not traces else "too_few_traces" if traces < MIN_TRACES else "normal"
    return LastPeriod(
        start=_at(fine.time(ids.start)),
        end=_at(end),
        trace_count=traces,
        error_count=errors,
        error_rate=errors / traces if traces else None,
        avg_latency_ms=latency / traces if traces else None,
        tokens_per_trace=tokens / traces if traces else None,
        usual_traces=current.baseline.expected(fine.time(ids.start), end - fine.time(ids.start))[0]
        if current.baseline.since is not None and current.baseline.hourly
        else None,
        verdict=verdict,
        unusual=unusual,
    )


def _unusual(current: Diagnosis) -> list[str]:
    """What is wrong now, in the words of the figures: "traffic", "error rate", "latency", "tokens per trace"."""
    names = {"traffic": "traffic", "error_rate": "error rate", "avg_latency_ms": "latency"}
    found = [names.get(f.signal, "tokens per trace") for f in current.findings if f.state != "over"]
    return list(dict.fromkeys(found))


def headline(
    current: Diagnosis,
    incidents: list[Incident],
    comparison: Comparison | None,
    figures: tuple[int, float | None, float | None, float],
    hint: str | None,
) -> str:
    """One sentence: what is wrong now, since when; else what happened in the window; else that nothing did.

    `figures`: the window's traces, error rate, mean latency, and the traces the agent normally sends in it.
    """
    traces, rate, latency, expected = figures
    status = current.status
    now_on = [f for f in current.findings if f.state != "over"]
    if now_on:
        text = _first(now_on[0], incidents, current)
    elif status == "recovered":
        recent = next(f for f in current.findings if f.end is not None)
        text = _first(recent, incidents, current)
    elif incidents:
        text = incidents[0].headline.removesuffix(".") + f" (+{fmt.plural(len(incidents) - 1, 'other incident')})" * (
            len(incidents) > 1
        )
    elif status == "no_traffic":
        text = "No traces in this window: the agent served no traffic"
    elif not traces or rate is None or latency is None:
        usual = f"about {expected:,.0f} normally" if expected >= 1 else "as usual for it at these hours"
        text = f"Healthy: no traces in this window ({usual}); no incident"
    else:
        errors = (
            f"{fmt.plural(round(rate * traces), 'error')} in" if traces < FEW_TRACES else f"{fmt.pct(rate)} errors,"
        )
        figures_now = f"{errors} {fmt.plural(traces, 'trace')}, {fmt.ms(latency)} mean latency"
        text = f"Healthy: {figures_now}, no incident"
        if comparison is not None and comparison.trace_count:
            text += f", {_against(comparison)}"
    text = text.removesuffix(".")
    if traces and traces < FEW_TRACES:
        text += f" (only {fmt.plural(traces, 'trace')} in this window: a rough picture)"
    if current.baseline.is_new(current.now) and current.baseline.since is not None:
        since = datetime.fromtimestamp(current.baseline.since, UTC)
        text += f". Its data begins {fmt.when(since)}: no baseline yet, so only what stands out within it is judged"
    return text + (f" ({hint})." if hint and traces else ".")


def _first(f: Finding, incidents: list[Incident], current: Diagnosis) -> str:
    """The headline of the finding that sets the status, with the count of the others."""
    others = len([i for i in incidents if i.start.timestamp() != f.start or i.metrics != [f.signal]])
    text = next((i.headline for i in incidents if i.start.timestamp() == f.start and i.metrics == [f.signal]), None)
    if text is None:  # it lies outside the window
        start = int(incidents[0].start.timestamp()) if incidents else current.now
        text = sentence(f, (min(start, f.start + 1), current.now), current.now)
    return text.removesuffix(".") + (f" (+{fmt.plural(others, 'other incident')})." if others else ".")


def _against(c: Comparison) -> str:
    """'in line with the previous day', or what changed against it."""
    changes = []
    if c.error_rate_verdict in ("higher", "lower"):
        changes.append(f"error rate significantly {c.error_rate_verdict} than {c.label}")
    for name, change in (("latency", c.latency_change), ("tokens per trace", c.tokens_per_trace_change)):
        if change is not None and abs(change) >= SLOWER:
            changes.append(f"{name} {change * 100:+.0f}% against {c.label}")
    return "; ".join(changes) if changes else f"in line with {c.label}"


def _at(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
