"""The engine's findings told as incidents: a headline that names the kind and its state, the evidence behind
it, and the traces to read. Pure.

The agent's state now comes from the one "now" (`assess`); a window adds what happened inside it. An
incident that is still going is told once, by the "now", however the window cuts it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from astro_mcp import formats as fmt
from astro_mcp.analysis.baseline import HOUR, RATES, Signal
from astro_mcp.analysis.detect import Diagnosis
from astro_mcp.analysis.episode import Finding
from astro_mcp.analysis.results.metrics import BaselineUsed, Comparison, Incident, Symptom, TracesCall
from astro_mcp.domain import AgentRef, rfc3339

# How to read an incident's traces: errors sampled across its whole window; the slowest of all.
_READING: dict[Signal, tuple[Literal["error", "all"], Literal["spread", "slowest"]]] = {
    "error_rate": ("error", "spread"),
    "avg_latency_ms": ("all", "slowest"),
}
FEW_TRACES = 30  # evidence from fewer traces than this is told with a caveat
_TITLES: dict[Signal, str] = {
    "error_rate": "Error",
    "avg_latency_ms": "Latency",
    "tokens_per_trace": "Tokens per trace",
    "traffic": "Traffic",
}
_NAMES: dict[Signal, str] = {
    "error_rate": "error rate",
    "avg_latency_ms": "latency",
    "tokens_per_trace": "tokens per trace",
    "traffic": "traffic",
}


def shown(signal: Signal, value: float) -> str:
    writers: dict[Signal, Callable[[float], str]] = {
        "error_rate": fmt.pct,
        "avg_latency_ms": fmt.ms,
        "tokens_per_trace": fmt.num,
        "traffic": lambda v: f"{fmt.num(v)} traces/hour",
    }
    return writers[signal](value)


def told(current: Diagnosis, window: Diagnosis, span: tuple[int, int]) -> list[Finding]:
    """What a window shows: the "now"'s findings that reach into it, and what else the window saw that is over."""
    start, end = span
    going = [f for f in current.findings if f.state != "over"]
    shown_now = [
        f
        for f in current.findings
        if f.start < end
        and (f.end is None or f.end > start)
        # an episode inside one still going on the same signal is part of it (a dip within a drift)
        and not (f.state == "over" and any(g.signal == f.signal and g.start <= f.start for g in going))
    ]
    for w in window.findings:
        if w.state == "over" and not any(_same(w, c) for c in current.findings):
            shown_now.append(w)
    return shown_now


def _same(a: Finding, b: Finding) -> bool:
    """One episode seen twice: same signal, overlapping (an ongoing one reaches to now)."""
    a_end = a.end if a.end is not None else 2**62
    b_end = b.end if b.end is not None else 2**62
    slack = max(a.resolution, b.resolution)
    return a.signal == b.signal and a.start <= b_end + slack and b.start <= a_end + slack


def incident(agent: AgentRef, f: Finding, span: tuple[int, int], now: int, stopped: int | None = None) -> Incident:
    """One finding as an incident of the window `span`, judged at `now`; `stopped`: when the agent's traffic
    stopped, if it has not come back."""
    return Incident(
        kind=f.kind,
        state=f.state,
        ongoing=f.state != "over",
        start=_at(f.start),
        end=None if f.end is None else _at(f.end),
        metrics=[f.signal],
        headline=sentence(f, span, now, stopped),
        evidence=evidence(f, now),
        per_hour=f.per_hour,
        cycle_minutes=None if f.cycle is None else f.cycle // 60,
        symptoms=[
            Symptom(
                metric=f.signal,
                peak=f.peak,
                peak_time=_at(f.peak_time),
                level=f.level,
                typical=f.typical,
                score=f.score,
            )
        ],
        trace_count=f.traces,
        error_count=f.errors,
        traces_call=_traces_call(agent, f, span, now),
    )


def sentence(f: Finding, span: tuple[int, int], now: int, stopped: int | None = None) -> str:
    """One sentence: the kind, since when, whether it still is, and the figures. An episode that ended when
    traffic `stopped` is not followed by "normal": by nothing."""
    title, name = _TITLES[f.signal], _NAMES[f.signal]
    before = " (before this window began)" if f.start < span[0] else ""
    since = f"since {fmt.when(_at(f.start))}{before}"
    against = f"{shown(f.signal, f.level)} (typically {shown(f.signal, f.typical)})"
    if f.kind == "silence":
        return _silence(f, since, now)
    if f.kind == "drift":
        rate = f"{(f.per_hour or 0.0) * 100:.1f}%"
        peak = f"{shown(f.signal, f.peak)}{_times(f.peak, f.typical, ' its typical ' + shown(f.signal, f.typical))}"
        return f"{title} drift, ongoing {since}: rising about {rate} an hour, now up to {peak}."
    if f.kind == "flapping":
        cycle = fmt.minutes((f.cycle or 0) // 60)
        every = f"bad stretches about every {cycle} at {against}"
        if f.state == "recurring":
            return f"{title} flapping {since}, recurring: {every}; the latest ended {_clock(f.end, now)}."
        return f"{title} flapping {_span(f)}: {every}; clean since {_clock(f.end, now)}."
    if f.kind == "recovered":
        lasted = fmt.minutes(((f.end or now) - f.start) // 60)
        fine_for = fmt.minutes((now - (f.end or now)) // 60)
        if _ended_by(f, stopped):
            return f"{title} {name} {against} for {lasted}, {_span(f)}; then the outage began."
        return f"Recovered: {name} {against} for {lasted}, {_span(f)}; normal for the {fine_for} since."
    if f.state == "ongoing":
        was = f"{shown(f.signal, f.level)}, was {shown(f.signal, f.typical)}{_times(f.level, f.typical)}"
        return f"{title} regression, ongoing {since}: {name} {was}."
    peak = (
        f"{name} up to {shown(f.signal, f.peak)} vs a typical {shown(f.signal, f.typical)}{_times(f.peak, f.typical)}"
    )
    if _ended_by(f, stopped):
        return f"{title} spike {_span(f)}: {peak}. It ended at {_clock(f.end, now)}, when the outage began."
    return f"{title} spike {_span(f)}: {peak}. Over at {_clock(f.end, now)}; normal since then."


def _ended_by(f: Finding, stopped: int | None) -> bool:
    """The episode ended when traffic stopped (to within its resolution): it was cut off, not fixed."""
    return stopped is not None and f.end is not None and abs(f.end - stopped) <= max(f.resolution, 3600)


def _silence(f: Finding, since: str, now: int) -> str:
    normally = f"normally about {f.typical:,.0f} an hour at these hours"
    if f.state == "ongoing":
        if not f.traces:
            return f"Outage: no traces {since}; {normally}."
        return f"Outage: traffic collapsed {since}, {fmt.num(f.level)} traces an hour; {normally}."
    return f"Silent {_span(f)}: {fmt.plural(f.traces, 'trace')}, {normally}; traffic back since {_clock(f.end, now)}."


def evidence(f: Finding, now: int) -> str:
    """The counts behind a finding, with a caveat when they are few."""
    if f.signal == "traffic":
        hours = fmt.minutes(((f.end or now) - f.start) // 60)
        text = f"{fmt.plural(f.traces, 'trace')} in {hours}, about {f.typical:,.0f} an hour normal then"
    elif f.signal == "error_rate":
        rate = fmt.pct(f.errors / f.traces if f.traces else 0.0)
        text = f"{fmt.plural(f.errors, 'error')} in {fmt.plural(f.traces, 'trace')} ({rate})"
    else:
        over = f"{shown(f.signal, f.level)} over {fmt.plural(f.traces, 'trace')}"
        text = f"{_NAMES[f.signal]} {over}, typically {shown(f.signal, f.typical)}"
    if f.signal != "traffic" and f.traces < FEW_TRACES:
        text += f"; only {fmt.plural(f.traces, 'trace')}: treat with caution"
    return text


def abnormal(current: Diagnosis, c: Comparison) -> str | None:
    """When the window compared with was itself abnormal: what was wrong in it, and the agent's normal level."""
    begins, ends = int(c.start.timestamp()), int(c.end.timestamp())
    wrong = [f for f in current.findings if f.start < ends and (f.end is None or f.end > begins)]
    if not wrong:
        return None
    f = wrong[0]
    levels = current.baseline.levels
    normal = ", ".join(
        f"{_NAMES[signal]} {shown(signal, levels[signal].value)}" for signal in RATES if signal in levels
    )
    return (
        f"{c.label} was itself abnormal: {_NAMES[f.signal]} {shown(f.signal, f.level)} from {fmt.when(_at(f.start))}; "
        f"the agent's normal level (its {current.baseline.describe_span()}): {normal}"
    )


def used(current: Diagnosis, last_hour: tuple[int, int]) -> BaselineUsed:
    """The baseline as the answer states it; its traffic is what it expects of `last_hour`, the "now" line's hour."""
    base = current.baseline
    levels = base.levels
    expected, _ = base.expected(last_hour[0], last_hour[1] - last_hour[0])
    return BaselineUsed(
        description=base.describe(),
        data_since=None if base.since is None else _at(base.since),
        new_agent=base.is_new(current.now),
        error_rate=levels["error_rate"].value if "error_rate" in levels else None,
        avg_latency_ms=levels["avg_latency_ms"].value if "avg_latency_ms" in levels else None,
        tokens_per_trace=levels["tokens_per_trace"].value if "tokens_per_trace" in levels else None,
        # A new agent has no usual traffic yet: none is expected of it, which is not a usual level of 0.
        traces_per_hour=expected if base.since is not None and not base.is_new(current.now) else None,
    )


def _traces_call(agent: AgentRef, f: Finding, span: tuple[int, int], now: int) -> TracesCall:
    """The traces that show the incident: errors sampled across it, the slowest, or those before a silence."""
    start, end = max(f.start, span[0]), min(f.end or now, span[1])
    if f.signal == "traffic":  # the last traces before it stopped
        start, end = f.start - HOUR, f.start
    status, order = _READING.get(f.signal, ("all", "newest"))
    return TracesCall(
        account=agent.account,
        name=agent.name,
        start_time=rfc3339(_at(start)),
        end_time=rfc3339(_at(max(end, start + 60))),
        status=status,
        order=order,
    )


def _times(value: float, typical: float, of: str = "") -> str:
    """' (3.1x)', or with `of` (' its typical 240 ms'): ', 3.1x its typical 240 ms'."""
    if typical <= 0:
        return ""
    return f", {value / typical:.1f}x{of}" if of else f" ({value / typical:.1f}x)"


def _span(f: Finding) -> str:
    return fmt.span(_at(f.start), _at(f.end if f.end is not None else f.start))


def _clock(moment: int | None, now: int) -> str:
    """A time of day, with its date when it is not today's."""
    if moment is None:
        return "now"
    at = _at(moment)
    return fmt.clock(at, with_day=at.date() != _at(now).date())


def _at(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
