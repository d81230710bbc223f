"""One trace's steps (`get_agent_traces` with `trace_id`) as the text a model reads, and the smaller answers to try."""

from __future__ import annotations

from collections.abc import Iterator

from astro_mcp import formats as fmt
from astro_mcp.analysis.results.steps import ShownStep, TraceSteps
from astro_mcp.analysis.results.traces import TracesAnswer
from astro_mcp.analysis.steps import StepCaps, StepsPage
from astro_mcp.render.answer import BOUND
from astro_mcp.render.fence import FENCE_NOTE, fenced

CONTENT_CHARS = 300  # of the trace's input and output, in `redacted` and `truncated` modes
MESSAGE_CHARS = 300  # of each step's status message
MIN_CHARS = 80


def text(a: TracesAnswer, t: TraceSteps) -> str:
    """The text of a trace-detail answer."""
    when = fmt.when(t.timestamp) if t.timestamp else "time unknown"
    latency = fmt.ms(t.latency_ms) if t.latency_ms is not None else "latency unknown"
    cost = f" · ${t.total_cost_usd:,.4f}" if t.total_cost_usd is not None else ""
    lines = [
        f"{a.account}/{a.name}: trace {t.trace_id} · {t.name or '(unnamed)'} · {when} · {latency}{cost}",
        a.headline,
        *a.notes,
    ]
    if a.content != "off":
        lines += [FENCE_NOTE, f"input: {fenced(t.input)}", f"output: {fenced(t.output)}"]
    lines += ["", "Steps (nested by parent, in the order they started):"]
    lines += [_step(s) for s in t.steps]
    if t.more_steps:
        lines.append(f"... and {t.more_steps} more steps, left out to keep this answer within its size bound.")
    return "\n".join(lines)


def _step(s: ShownStep) -> str:
    parts = [f"{'  ' * min(s.depth, 8)}- {s.name or '(unnamed)'} ({s.type or 'type unknown'})"]
    if s.model:
        parts.append(f"model {s.model}")
    if s.input_tokens is not None or s.output_tokens is not None:
        parts.append(f"{s.input_tokens or 0:,} in / {s.output_tokens or 0:,} out tokens")
    if s.cost_usd is not None:
        parts.append(f"${s.cost_usd:,.6f}")
    if s.latency_ms is not None:
        parts.append(fmt.ms(s.latency_ms))
    if s.level and s.level.upper() != "DEFAULT":
        parts.append(s.level)
    line = " · ".join(parts)
    return f"{line}: {fenced(s.status_message)}" if s.status_message else line


def smaller(page: StepsPage) -> Iterator[TracesAnswer]:
    """The richest answer first, then: shorter content, shorter messages, then fewer steps (errors kept longest)."""
    caps = StepCaps(BOUND if page.mode == "full" else CONTENT_CHARS, MESSAGE_CHARS, len(page.steps))
    while True:
        yield page.answer(caps)
        if caps.content > MIN_CHARS:
            caps = StepCaps(max(MIN_CHARS, caps.content * 2 // 3), caps.message, caps.steps)
        elif caps.message > MIN_CHARS:
            caps = StepCaps(caps.content, max(MIN_CHARS, caps.message * 2 // 3), caps.steps)
        elif caps.steps > 0:
            caps = StepCaps(caps.content, caps.message, caps.steps * 9 // 10)
        else:
            return
