"""A `MetricsSummary` as the text a model reads: headline, figures, notes, then a compact table.

Units are always written out and times are UTC. Rounding happens here, for display only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from astro_mcp.query import describe_minutes
from astro_mcp.summarize import LATENCY_Z, MIN_TRACES, Anomaly, Change, MetricsSummary, Period

_BARS = "▁▂▃▄▅▆▇█"


def render(summary: MetricsSummary, raw_uri: str) -> str:
    """The text block of a `get_agent_metrics` result."""
    s = summary
    w = s.window
    agent = f"{s.account}/{s.name}"
    span = describe_minutes(_minutes_between(w.start, w.end))
    buckets = describe_minutes(w.interval_minutes, adjective=True)
    lines = [f"{agent}: {_when(w.start)} → {_when(w.end)} ({span}, {buckets} buckets)"]
    if s.totals.trace_count == 0:
        lines += [
            f"No traces between {_when(w.start)} and {_when(w.end)}: the agent served no traffic in this window.",
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
    assert s.error_rate is not None
    assert s.avg_latency_ms is not None
    lines += [
        f"Traces: {t.trace_count:,} ({_num(s.traces_per_hour)}/hour). Errors: {t.error_count:,} "
        f"(error rate {_pct(s.error_rate)}). Mean latency: {_ms(s.avg_latency_ms)} (trace-weighted).",
        f"Tokens: {t.input_tokens:,} input + {t.output_tokens:,} output "
        f"({_num(per_trace.input)} in / {_num(per_trace.output)} out per trace).",
    ]
    period = describe_minutes(s.analysis_minutes, adjective=True)
    if s.busiest is not None:
        traffic = f"Busiest {period} period: {_when(s.busiest.start)} ({_count(s.busiest.trace_count, 'trace')})"
        if s.quietest is not None:
            traffic += f"; quietest with traffic: {_when(s.quietest.start)} ({_count(s.quietest.trace_count, 'trace')})"
        lines.append(traffic + ".")
    if s.worst_error_rate is not None:
        lines.append(f"Worst error rate: {_worst(s.worst_error_rate, _pct, with_errors=True)}.")
    if s.worst_latency is not None:
        lines.append(f"Worst latency: {_worst(s.worst_latency, _ms, with_errors=False)}.")
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
    shown = _pct if first.metric == "error_rate" else _ms
    others = len(s.anomalies) - 1 + s.more_anomalies
    more = f" (+{others} more)" if others else ""
    return f"⚠ {what} {_span(first)}: {shown(first.peak)} at its peak vs a typical {shown(first.baseline)}.{more}"


def _anomaly(a: Anomaly) -> str:
    if a.metric == "error_rate":
        return (
            f"error rate up to {_pct(a.peak)} {_span(a)} (peak {_clock(a.peak_time)}), typical {_pct(a.baseline)}; "
            f"{_count(a.error_count, 'error')} in {_count(a.trace_count, 'trace')}"
        )
    return f"latency up to {_ms(a.peak)} {_span(a)} (peak {_clock(a.peak_time)}), typical {_ms(a.baseline)}"


def _worst(p: Period, shown: Callable[[float], str], with_errors: bool) -> str:
    text = f"{shown(p.value)} at {_when(p.start)} ({_count(p.trace_count, 'trace')}"
    text += f", {_count(p.error_count, 'error')})" if with_errors else ")"
    if p.baseline is not None:
        text += f", typical {shown(p.baseline)}"
        if p.baseline > 0:
            text += f" ({p.value / p.baseline:.1f}x)"
    return text


def _trend(s: MetricsSummary) -> str:
    return "; ".join(
        (
            _change("traffic", s.trend.traces_per_hour, lambda v: f"{_num(v)} traces/hour"),
            _change("error rate", s.trend.error_rate, _pct),
            _change("latency", s.trend.avg_latency_ms, _ms),
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
        f"counted here as zero). Longest idle stretch: {_when(idle.longest_start)} → {_when(idle.longest_end)} "
        f"({describe_minutes(idle.longest_minutes)})."
    )


def _notes(s: MetricsSummary) -> list[str]:
    return ["Notes:", *(f"- {note}" for note in s.notes)] if s.notes else []


def _table(s: MetricsSummary, raw_uri: str) -> list[str]:
    table = s.table
    rows = table.rows
    coarser = table.interval_minutes != s.window.interval_minutes
    head = f"Series, one row per {describe_minutes(table.interval_minutes)} (UTC)"
    if coarser:
        size = describe_minutes(s.window.interval_minutes, adjective=True)
        head += f", re-aggregated from {s.window.bucket_count:,} {size} buckets"
    traces = [float(r[1]) for r in rows]
    rates = [r[2] / r[1] if r[1] else None for r in rows]
    latencies = [r[3] for r in rows]
    lines = [
        head + ":",
        f"  traces   {_spark(traces)}",
        f"  errors   {_spark(rates)}",
        f"  latency  {_spark(latencies, from_zero=False)}",
        f"{'start (UTC)':<13}{'traces':>8}{'errors':>7}{'err %':>7}{'lat ms':>9}",
    ]
    for start, count, errors, latency, _, _ in rows:
        rate = f"{errors / count * 100:.1f}" if count else "-"
        shown = f"{latency:.1f}" if latency is not None else "-"
        lines.append(f"{_clock(start, with_day=True):<13}{count:>8,}{errors:>7,}{rate:>7}{shown:>9}")
    more = "For finer detail, call again with a narrower window"
    more += " or a smaller interval" if coarser else ""
    lines.append(f"{more}; every bucket as the API sent it: read {raw_uri}")
    return lines


def _spark(values: Sequence[float | None], from_zero: bool = True) -> str:
    present = [v for v in values if v is not None]
    if not present:
        return ""
    low = 0.0 if from_zero else min(present)
    span = max(present) - low
    return "".join(
        "·" if v is None else _BARS[min(len(_BARS) - 1, int((v - low) / span * len(_BARS))) if span else 0]
        for v in values
    )


def _span(a: Anomaly) -> str:
    start, end = _parse(a.start), _parse(a.end)
    if start.date() == end.date() or end == datetime.combine(end.date(), datetime.min.time(), UTC):
        return f"{start:%b %d %H:%M}–{end:%H:%M} UTC"
    return f"{start:%b %d %H:%M} – {end:%b %d %H:%M} UTC"


def _when(iso: str) -> str:
    return f"{_parse(iso):%b %d %H:%M} UTC"


def _clock(iso: str, with_day: bool = False) -> str:
    return f"{_parse(iso):%b %d %H:%M}" if with_day else f"{_parse(iso):%H:%M}"


def _parse(iso: str) -> datetime:
    return datetime.fromisoformat(iso).astimezone(UTC)


def _minutes_between(start: str, end: str) -> int:
    return int((_parse(end) - _parse(start)).total_seconds() // 60)


def _pct(rate: float) -> str:
    return f"{rate * 100:.2f}%" if rate < 0.1 else f"{rate * 100:.1f}%"


def _ms(ms: float) -> str:
    return f"{ms:,.1f} ms"


def _num(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:,.1f}"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'s' if n != 1 else ''}"
