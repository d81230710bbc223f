"""A `MetricsSummary` as the text a model reads: the verdict, now, incidents, the comparison, figures, then a table.

Units are always written out and times are UTC. Rounding happens here, for display only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import urlencode

from astro_mcp import formats as fmt
from astro_mcp.analysis.cost import incident_line
from astro_mcp.analysis.fit import halved_table
from astro_mcp.analysis.periods import dilution, sized
from astro_mcp.analysis.results.metrics import (
    MIN_TRACES,
    Change,
    Comparison,
    LastPeriod,
    MetricsSummary,
    Period,
)
from astro_mcp.domain import rfc3339
from astro_mcp.render import context
from astro_mcp.render.answer import Rendering
from astro_mcp.render.table import table

ALARMING = ("outage", "incident", "degraded")  # statuses marked ⚠: something is wrong now


def raw_uri(summary: MetricsSummary) -> str:
    """The raw resource holding every bucket behind a summary."""
    w = summary.window
    query = urlencode({"start_time": rfc3339(w.start), "end_time": rfc3339(w.end), "interval": w.interval_minutes})
    return f"astro://agents/{summary.account}/{summary.name}/metrics/raw?{query}"


def coarser(summary: MetricsSummary) -> Iterator[MetricsSummary]:
    """The summary, then its table coarsened step by step, down to one row, then its incidents' context lightened."""
    yield summary
    while len(summary.table.rows) > 1:
        summary = halved_table(summary)
        yield summary
    yield from context.lighter(summary)


def text(summary: MetricsSummary) -> str:
    """The text block of a `get_agent_metrics` result, pointing at its raw resource."""
    return render(summary, raw_uri(summary))


METRICS = Rendering(MetricsSummary, text, coarser)


def render(summary: MetricsSummary, raw_uri: str) -> str:
    """The text of a summary whose every bucket can be read at `raw_uri`."""
    s = summary
    w = s.window
    length = fmt.minutes(int((w.end - w.start).total_seconds() // 60))
    lines = [
        f"{s.account}/{s.name}: {fmt.when(w.start)} → {fmt.when(w.end)} ({length}, {_buckets(w.interval_minutes)})",
        f"{'⚠ ' if s.status in ALARMING else ''}Status: {s.status}. {s.headline}",
    ]
    if s.totals.trace_count == 0 and s.status == "no_traffic":
        lines += [
            f"No traces between {fmt.when(w.start)} and {fmt.when(w.end)}: the agent served no traffic in this window.",
            "Is the agent deployed and receiving requests? Is the window right (times are UTC)? "
            "Try a wider window, e.g. start_time='now-7d'.",
        ]
        if s.comparison is not None and s.comparison.trace_count:
            lines.append(f"It had {fmt.plural(s.comparison.trace_count, 'trace')} in {s.comparison.label}.")
        return "\n".join(lines + _notes(s))
    if s.now is not None:
        lines.append(_now(s.now))
    lines += _incidents(s)
    if s.totals.trace_count == 0:
        return "\n".join(lines + _baseline(s) + _notes(s))
    if s.comparison is not None:
        lines.append(_comparison(s, s.comparison))
    lines += _baseline(s)
    lines += ["", *_figures(s), _idle(s), *_notes(s), "", *table(s, raw_uri)]
    return "\n".join(lines)


def _baseline(s: MetricsSummary) -> list[str]:
    b = s.baseline
    if b is None:
        return []
    typical = [
        f"{name} {shown(value)}"
        for name, value, shown in (
            ("errors", b.error_rate, fmt.pct),
            ("latency", b.avg_latency_ms, fmt.ms),
            ("tokens per trace", b.tokens_per_trace, fmt.num),
            ("traffic in the last hour", b.traces_per_hour, lambda v: f"{fmt.num(v)} traces"),
        )
        if value is not None
    ]
    since = f" Data since {fmt.when(b.data_since)}." if b.data_since is not None else ""
    new = " No baseline yet: the agent is new." if b.new_agent else ""
    return [f"Judged against {b.description}: typically {', '.join(typical) or 'nothing yet'}.{since}{new}"]


def _buckets(minutes: int) -> str:
    size = sized(minutes)
    return f"{size} buckets" if "-" in size else f"buckets of {size}"


TRAFFIC_NOTE_MIN = 50  # usual traces in the hour below which its traffic is too noisy to remark on


def _now(p: LastPeriod) -> str:
    head = f"Now (last hour, {fmt.span(p.start, p.end)}): "
    usual = f" (usually about {p.usual_traces:,.0f} at these hours)" if p.usual_traces is not None else ""
    if p.error_rate is None or p.avg_latency_ms is None:
        return f"{head}no traces{usual}."
    tokens = f", {fmt.num(p.tokens_per_trace)} tokens per trace" if p.tokens_per_trace is not None else ""
    figures = (
        f"{fmt.pct(p.error_rate)} errors, {fmt.ms(p.avg_latency_ms)}{tokens}, "
        f"{fmt.plural(p.trace_count, 'trace')}{usual}"
    )
    verdict = {
        "normal": "errors and latency normal" + _traffic(p.trace_count, p.usual_traces),
        "elevated": f"{' and '.join(p.unusual) or 'something'} unusual (see above)",
        "too_few_traces": f"too few traces to judge (fewer than {MIN_TRACES})",
        "no_traffic": "no traffic",
    }[p.verdict]
    return f"{head}{figures}: {verdict}."


def _traffic(traces: int, usual: float | None) -> str:
    """Traffic far from what the agent usually sends at these hours: said, not judged (a launch, a lull)."""
    if usual is None or usual < TRAFFIC_NOTE_MIN:
        return ""
    ratio = traces / usual
    if ratio <= 0.6:
        return f"; traffic {ratio:.0%} of usual"
    return f"; traffic {ratio:.1f}x usual" if ratio >= 2 else ""


def _incidents(s: MetricsSummary) -> list[str]:
    if not s.incidents:
        return []
    lines = ["Incidents (each beyond chance over every period judged, against the baseline below):"]
    for i in s.incidents:
        lines.append(f"- [{i.kind}, {i.state}] {i.headline} Evidence: {i.evidence}.")
        if i.cost is not None:
            lines.append(f"  {incident_line(i.cost)}")
        c = i.traces_call
        extra = "".join(
            f", {key}='{value}'"
            for key, value, default in (("status", c.status, "error"), ("order", c.order, "newest"))
            if value != default
        )
        lines.append(
            f"  → get_agent_traces(account='{c.account}', name='{c.name}', start_time='{c.start_time}', "
            f"end_time='{c.end_time}'{extra})"
        )
        lines += context.lines(i.context, c)
    if s.more_incidents:
        lines.append(f"- and {s.more_incidents} more; narrow the window to see them.")
    return lines


def _comparison(s: MetricsSummary, c: Comparison) -> str:
    head = f"Against {c.label} ({fmt.when(c.start)} → {fmt.when(c.end)}): "
    if not c.trace_count:
        return head + "it had no traces, so there is nothing to compare with."
    assert s.avg_latency_ms is not None
    assert s.tokens_per_trace is not None
    tokens = s.tokens_per_trace.input + s.tokens_per_trace.output
    verdict = {
        "higher": "significantly higher",
        "lower": "significantly lower",
        "no_significant_change": "no significant change",
        "not_enough_traffic": "not enough traffic to tell",
        "not_available": "not available",
    }[c.error_rate_verdict]
    p = f", p={c.p_value:.2g}" if c.p_value is not None else ""
    rate_change = _delta(c.error_rate_change, f"; {verdict}{p}") if c.error_rate_change is not None else f" ({verdict})"
    rates = (
        f"error rate {fmt.pct(s.error_rate)} vs {fmt.pct(c.error_rate or 0.0)}{rate_change}"
        if s.error_rate is not None
        else "error rate not available"
    )
    parts = [
        f"traffic {fmt.plural(s.totals.trace_count, 'trace')} vs {c.trace_count:,}{_delta(c.traffic_change)}",
        rates,
        f"latency {fmt.ms(s.avg_latency_ms)} vs {fmt.ms(c.avg_latency_ms or 0.0)}{_delta(c.latency_change)}",
        f"tokens per trace {fmt.num(tokens)} vs {fmt.num(c.tokens_per_trace or 0.0)}"
        f"{_delta(c.tokens_per_trace_change)}",
    ]
    abnormal = f" Note: {c.abnormal}." if c.abnormal else ""
    return head + "; ".join(parts) + "." + abnormal


def _delta(change: float | None, more: str = "") -> str:
    if change is None:
        return ""
    return f" ({change * 100:+.1f}%{more})" if abs(change) < 0.1 else f" ({change * 100:+.0f}%{more})"


def _figures(s: MetricsSummary) -> list[str]:
    t = s.totals
    per_trace = s.tokens_per_trace
    # With traces, these are never None: the summary sets them whenever trace_count > 0.
    assert per_trace is not None
    assert s.avg_latency_ms is not None
    errors = (
        f"Errors: {t.error_count:,} (error rate {fmt.pct(s.error_rate)})"
        if s.error_rate is not None
        else "Errors: not available (see the notes)"
    )
    p95 = (
        f"p95 latency: {fmt.ms(s.p95_latency_ms)} for the whole window"
        if s.p95_latency_ms is not None
        else "p95: not available"
    )
    lines = [
        f"Traces: {t.trace_count:,} ({fmt.num(s.traces_per_hour)}/hour). {errors}. "
        f"Mean latency: {fmt.ms(s.avg_latency_ms)} (trace-weighted). "
        f"{p95} (buckets carry only means: a percentile is for the whole window).",
        f"Tokens: {t.input_tokens:,} input + {t.output_tokens:,} output "
        f"({fmt.num(per_trace.input)} in / {fmt.num(per_trace.output)} out per trace).",
        *([s.cost.note] if s.cost is not None else []),
    ]
    period = sized(s.analysis_minutes)
    hint = dilution(s.analysis_minutes, int((s.window.end - s.window.start).total_seconds() // 60))
    diluted = f" ({hint})" if hint else ""
    if s.busiest is not None:
        b = s.busiest
        lines.append(f"Busiest {period} period: {fmt.when(b.start)} ({fmt.plural(b.trace_count, 'trace')}).")
    judged = f"of the {period} periods with {MIN_TRACES}+ traces"
    if s.worst_error_rate is not None:
        lines.append(f"{_worst(f'error rate {judged}', s.worst_error_rate, fmt.pct, True)}{diluted}.")
    if s.worst_latency is not None:
        lines.append(f"{_worst(f'latency {judged}', s.worst_latency, fmt.ms, False)}{diluted}.")
    aside = f", {fmt.plural(s.trend.spikes_set_aside, 'spike period')} set aside" if s.trend.spikes_set_aside else ""
    lines.append(f"Trend, first half → second half{aside}: {_trend(s)}.")
    return lines


def _worst(label: str, p: Period, shown: Callable[[float], str], with_errors: bool) -> str:
    counts = fmt.plural(p.trace_count, "trace") + (f", {fmt.plural(p.error_count, 'error')}" if with_errors else "")
    text = f"{shown(p.value)} at {fmt.when(p.start)} ({counts})"
    if p.baseline is None:
        return f"Highest {label}: {text}"
    if p.unusual:
        ratio = f" ({p.value / p.baseline:.1f}x)" if p.baseline > 0 else ""
        return f"Worst {label}: {text}, against a typical {shown(p.baseline)}{ratio}"
    return f"Highest {label}: {text}, within normal variation around a typical {shown(p.baseline)}"


def _trend(s: MetricsSummary) -> str:
    return "; ".join(
        (
            _change("traffic", s.trend.traces_per_hour, lambda v: f"{fmt.num(v)} traces/hour"),
            _change("error rate", s.trend.error_rate, fmt.pct) if s.errors_available else "error rate: not available",
            _change("latency (median period)", s.trend.avg_latency_ms, fmt.ms),
        )
    )


def _change(label: str, c: Change, shown: Callable[[float], str]) -> str:
    if c.first_half is None or c.second_half is None:
        return f"{label}: not comparable (no traffic in one half)"
    if c.direction == "steady":
        return f"{label} steady ({shown(c.first_half)} → {shown(c.second_half)})"
    verb = "rose" if c.direction == "up" else "fell"
    return f"{label} {verb} from {shown(c.first_half)} to {shown(c.second_half)}"


def _idle(s: MetricsSummary) -> str:
    idle = s.idle
    if not idle.idle_buckets or idle.longest_start is None or idle.longest_end is None:
        return "Idle: none; every bucket had traces."
    return (
        f"Idle: {idle.idle_buckets:,} of {s.window.bucket_count:,} buckets had no traces (the API leaves them out; "
        f"counted here as zero). Longest idle stretch: {fmt.when(idle.longest_start)} → {fmt.when(idle.longest_end)} "
        f"({fmt.minutes(idle.longest_minutes)})."
    )


def _notes(s: MetricsSummary) -> list[str]:
    return ["Notes:", *(f"- {note}" for note in s.notes)] if s.notes else []
