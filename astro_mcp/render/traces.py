"""A `TracesAnswer` as the text a model reads, and the smaller answers to try when the whole is over its bound."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from astro_mcp import formats as fmt
from astro_mcp.analysis.results.traces import TracesAnswer
from astro_mcp.analysis.steps import StepsPage
from astro_mcp.analysis.traces import Caps, TracePage
from astro_mcp.render import steps
from astro_mcp.render.answer import BOUND, Rendering
from astro_mcp.render.context import said
from astro_mcp.render.fence import FENCE_NOTE, fenced

CONTENT_CHARS = 300  # of each input and output, in `redacted` and `truncated` modes
LABEL_CHARS = 100
MIN_CONTENT_CHARS = 80  # below this an input says nothing: show fewer traces instead
MIN_LABEL_CHARS = 12


def render(a: TracesAnswer) -> str:
    """The text block of a `get_agent_traces` result."""
    if a.trace is not None:
        return steps.text(a, a.trace)
    what = {"error": "error traces", "ok": "successful traces", "all": "traces"}[a.status]
    lines = [f"{a.account}/{a.name}: {what} from {fmt.when(a.window.start)} to {fmt.when(a.window.end)}."]
    total = "an unknown number" if a.total is None else f"{a.total:,}"
    if not a.traces:
        lines.append(f"None to show ({total} match in the window, offset {a.offset}).")
        if a.status == "error":
            lines.append("No errors here: try a wider window, or status='all' to see what did run.")
        return "\n".join(lines + a.notes)
    first, last = a.offset + 1, a.offset + len(a.traces)
    order = {
        "newest": "newest first",
        "slowest": "slowest first, among those fetched across the window",
        "spread": "sampled across the window, newest part first",
    }[a.order]
    lines.append(f"{total} match; shown: {first}–{last}, {order}.")
    lines.append(_groups_line(a))
    if a.errors:
        lines.append(_groups_line(a, by_error=True))
    if a.failing_step is not None:
        lines.append(f"Failing step: {said(a.failing_step)}")
    lines += a.notes
    if a.content != "off":
        lines.append(FENCE_NOTE)
    lines.append("")
    for n, t in enumerate(a.traces, start=first):
        when = f"{t.timestamp:%b %d %H:%M:%S} UTC" if t.timestamp else "time unknown"
        latency = fmt.ms(t.latency_ms) if t.latency_ms is not None else "latency unknown"
        lines.append(
            f"{n}. {when} · {t.name or '(unnamed)'} · {t.status or 'status unknown'} · {latency} · id {t.trace_id}"
        )
        if a.content != "off":
            lines.append(f"   input: {fenced(t.input)}")
            lines.append(f"   output: {fenced(t.output)}")
    if a.next_offset is not None:
        lines.append(f"\nOlder ones: call get_agent_traces again with the same arguments and offset={a.next_offset}.")
    return "\n".join(lines)


def _groups_line(a: TracesAnswer, by_error: bool = False) -> str:
    whole = a.offset == 0 and a.total == a.grouped
    scope = f"all {a.grouped:,}" if whole else f"the {a.grouped:,} fetched from #{a.offset + 1}"
    parts = [
        f"{g.name} {g.count:,} of {a.grouped:,}" + (f" ({_span(g.first, g.last)})" if g.first and g.last else "")
        for g in (a.errors if by_error else a.groups)
    ]
    return f"{'By error' if by_error else 'By operation'}, of {scope}: " + "; ".join(parts) + "."


def _span(first: datetime, last: datetime) -> str:
    return f"{first:%H:%M}–{last:%H:%M} UTC" if first != last else f"{first:%H:%M} UTC"


def versions(page: TracePage | StepsPage) -> Iterator[TracesAnswer]:
    """The answers to try for a page of traces, or for one trace's steps."""
    return steps.smaller(page) if isinstance(page, StepsPage) else smaller(page)


def smaller(page: TracePage) -> Iterator[TracesAnswer]:
    """The richest answer first, then: shorter content, then fewer traces, then shorter labels.

    Content may be any size and any script (a JSON escape can make one character twelve), so each
    answer's size is measured by the fitter, not estimated. Each step shrinks by a fixed share, so a few
    dozen tries at most.
    """
    full = page.mode == "full"
    caps = Caps(content=BOUND if full else CONTENT_CHARS, label=LABEL_CHARS, traces=page.query.limit)
    while True:
        yield page.answer(caps)
        if caps.content > MIN_CONTENT_CHARS:
            caps = Caps(max(MIN_CONTENT_CHARS, caps.content * 2 // 3), caps.label, caps.traces)
        elif caps.traces > 0:
            caps = Caps(caps.content, caps.label, caps.traces * 9 // 10)
        elif caps.label > MIN_LABEL_CHARS:
            caps = Caps(caps.content, caps.label // 2, caps.traces)
        else:
            return  # unreachable in practice: nothing but short labels and a few groups is left


TRACES = Rendering(TracesAnswer, render, versions)
