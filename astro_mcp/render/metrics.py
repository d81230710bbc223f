"""A `MetricsSummary` as the text a model reads: headline, figures, notes, then a compact table.

Units are always written out and times are UTC. Rounding happens here, for display only.
"""

from __future__ import annotations

from collections.abc import Callable

from astro_mcp import formats as fmt
from astro_mcp.analysis.anomalies import LATENCY_Z
from astro_mcp.analysis.results import MIN_TRACES, Anomaly, Change, MetricsSummary, Period


def render(summary: MetricsSummary, raw_uri: str) -> str:
    """The text block of a `get_agent_metrics` result."""
    s = summary
    w = s.window
    agent = f"{s.account}/{s.name}"
    length = fmt.minutes(int((w.end - w.start).total_seconds() // 60))
    buckets = fmt.minutes(w.interval_minutes, adjective=True)
    lines = [f"{agent}: {fmt.when(w.start)} → {fmt.when(w.end)} ({length}, {buckets} buckets)"]
    if s.totals.trace_count == 0:
        lines += [
            f"No traces between {fmt.when(w.start)} and {fmt.when(w.end)}: the agent served no traffic in this window.",
            "Is the agent deployed and receiving requests? Is the window right (times are UTC)? "
            "Try a wider window, e.g. start_time='now-7d'.",
        ]
        lines += _notes(s)
        return "\n".join(lines)
    lines.append(_verdict(s))
    lines.append("")
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
    lines += [
        f"Traces: {t.trace_count:,} ({fmt.num(s.traces_per_hour)}/hour). {errors}. "
        f"Mean latency: {fmt.ms(s.avg_latency_ms)} (trace-weighted).",
        f"Tokens: {t.input_tokens:,} input + {t.output_tokens:,} output "
        f"({fmt.num(per_trace.input)} in / {fmt.num(per_trace.output)} out per trace).",
    ]
    period = fmt.minutes(s.analysis_minutes, adjective=True)
    if s.busiest is not None:
        busiest, quietest = s.busiest, s.quietest
        traffic = f"Busiest {period} period: {fmt.when(busiest.start)} ({fmt.plural(busiest.trace_count, 'trace')})"
        if quietest is not None:
            quiet = fmt.plural(quietest.trace_count, "trace")
            traffic += f"; quietest with traffic: {fmt.when(quietest.start)} ({quiet})"
        lines.append(traffic + ".")
    if s.worst_error_rate is not None:
        lines.append(f"Worst error rate: {_worst(s.worst_error_rate, fmt.pct, with_errors=True)}.")
    if s.worst_latency is not None:
        lines.append(f"Worst latency: {_worst(s.worst_latency, fmt.ms, with_errors=False)}.")
    if s.anomalies:
        lines.append(
            f"Anomalies, over {period} periods with {MIN_TRACES}+ traces (error rate: more errors than chance allows "
            f"at the typical rate; latency: over {LATENCY_Z:g} MADs above the median):"
        )
        lines += [f"- {_anomaly(a)}" for a in s.anomalies]
        if s.more_anomalies:
            lines.append(f"- and {s.more_anomalies} more; narrow the window to see them.")
    lines.append("Trend, first half → second half: " + _trend(s) + ".")
    lines.append(_idle(s))
    lines += _notes(s)
    lines += ["", *_table(s, raw_uri)]
    return "\n".join(lines)


def _verdict(s: MetricsSummary) -> str:
    if not s.anomalies:
        return "No anomalies: error rate and latency stayed near their typical values."
    first = s.anomalies[0]
    what = "Error spike" if first.metric == "error_rate" else "Latency spike"
    shown = fmt.pct if first.metric == "error_rate" else fmt.ms
    others = len(s.anomalies) - 1 + s.more_anomalies
    more = f" (+{others} more)" if others else ""
    return f"⚠ {what} {_span(first)}: {shown(first.peak)} at its peak vs a typical {shown(first.baseline)}.{more}"


def _anomaly(a: Anomaly) -> str:
    if a.metric == "error_rate":
        return (
            f"error rate up to {fmt.pct(a.peak)} {_span(a)} (peak {fmt.clock(a.peak_time)}), "
            f"typical {fmt.pct(a.baseline)}; "
            f"{fmt.plural(a.error_count, 'error')} in {fmt.plural(a.trace_count, 'trace')}"
        )
    return f"latency up to {fmt.ms(a.peak)} {_span(a)} (peak {fmt.clock(a.peak_time)}), typical {fmt.ms(a.baseline)}"


def _worst(p: Period, shown: Callable[[float], str], with_errors: bool) -> str:
    text = f"{shown(p.value)} at {fmt.when(p.start)} ({fmt.plural(p.trace_count, 'trace')}"
    text += f", {fmt.plural(p.error_count, 'error')})" if with_errors else ")"
    if p.baseline is not None:
        text += f", typical {shown(p.baseline)}"
        if p.baseline > 0:
            text += f" ({p.value / p.baseline:.1f}x)"
    return text


def _trend(s: MetricsSummary) -> str:
    return "; ".join(
        (
            _change("traffic", s.trend.traces_per_hour, lambda v: f"{fmt.num(v)} traces/hour"),
            _change("error rate", s.trend.error_rate, fmt.pct) if s.errors_available else "error rate: not available",
            _change("latency", s.trend.avg_latency_ms, fmt.ms),
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


def _table(s: MetricsSummary, raw_uri: str) -> list[str]:
    table = s.table
    rows = table.rows
    coarser = table.interval_minutes != s.window.interval_minutes
    head = f"Series, one row per {fmt.minutes(table.interval_minutes)} (UTC)"
    if coarser:
        size = fmt.minutes(s.window.interval_minutes, adjective=True)
        head += f", re-aggregated from {s.window.bucket_count:,} {size} buckets"
    traces = [float(r[1]) for r in rows]
    rates = [r[2] / r[1] if r[1] and s.errors_available else None for r in rows]
    latencies = [r[3] for r in rows]
    lines = [
        head + ":",
        f"  traces   {fmt.sparkline(traces)}",
        f"  errors   {fmt.sparkline(rates)}",
        f"  latency  {fmt.sparkline(latencies, from_zero=False)}",
        f"{'start (UTC)':<13}{'traces':>8}{'errors':>7}{'err %':>7}{'lat ms':>9}",
    ]
    for start, count, errors, latency, _, _ in rows:
        rate = f"{errors / count * 100:.1f}" if count and s.errors_available else "-"
        shown = f"{latency:.1f}" if latency is not None else "-"
        counted = f"{errors:,}" if s.errors_available else "-"
        lines.append(f"{fmt.clock(start, with_day=True):<13}{count:>8,}{counted:>7}{rate:>7}{shown:>9}")
    more = "For finer detail, call again with a narrower window"
    more += " or a smaller interval" if coarser else ""
    lines.append(f"{more}; every bucket as the API sent it: read {raw_uri}")
    return lines


def _span(a: Anomaly) -> str:
    return fmt.span(a.start, a.end)


def p95_line(p95: float | None) -> str:
    """The window's p95, labelled as such: the buckets carry only means, so there is none per period."""
    if p95 is None:
        return "p95: not available (the API's summary did not answer)."
    return f"p95 latency over the whole window: {fmt.ms(p95)} (the periods carry only means, so no p95 per period)."
