"""A page of traces made readable: newest first, content shortened, grouped by operation. Pure.

`prepare` does the costly part once (ordering, writing JSON content as text); `answer` (or a
`TracePage`'s) then builds the result for given caps, cheaply enough to be called again with smaller
caps until it fits a bound.
"""

from __future__ import annotations

import itertools
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import JsonValue

from astro_mcp.analysis.results.context import Evidence
from astro_mcp.analysis.results.traces import ContentMode, ShownTrace, TraceGroup, TracesAnswer, TraceWindow
from astro_mcp.domain import Trace, TraceOrder, TracesQuery
from astro_mcp.redaction import personal

UNNAMED = "(unnamed)"
_OLDEST = datetime.min.replace(tzinfo=UTC)
_JOINERS = {"\u200d", "\ufe0f", "\ufe0e"}  # zero-width joiner, variation selectors: part of the previous character


KEPT_CHARS = 16_384  # of a content's text kept (and masked): more than any answer shows of it (12,000 at most)
_MARGIN = 1_024  # dropped from the end of a masked start: where a secret cut in two might not be recognized
_LAST_WORD = re.compile(r"\S*$")  # and what is left of a longer one (an e-mail address, a token) at its end


@dataclass(frozen=True, slots=True)
class Content:
    """A trace's input or output as text, as kept: whole, or (`cut`) its start; `chars` characters in all, as the
    API sent it."""

    text: str
    chars: int
    cut: bool

    def shown(self, cap: int) -> str:
        return self.text if not self.cut and len(self.text) <= cap else shorten(self.text, cap, self.chars)


def content_of(value: JsonValue, masked: bool) -> Content | None:
    """`value` as text; `masked`: with e-mail addresses, API keys, phone and card numbers masked. Of a text over
    `KEPT_CHARS` only the start is kept, and masked: the rest never shows, and masking all of it took a tenth of a
    second a megabyte."""
    text = as_text(value)
    if text is None:
        return None
    if len(text) <= KEPT_CHARS:
        return Content(personal(text) if masked else text, len(text), cut=False)
    start = _LAST_WORD.sub("", personal(text[:KEPT_CHARS])[:-_MARGIN]) if masked else text[:KEPT_CHARS]
    return Content(start, len(text), cut=True)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A fetched trace with its content written out as text, once."""

    trace: Trace
    input: Content | None
    output: Content | None


@dataclass(frozen=True, slots=True)
class Caps:
    """How much to show: characters of content (input, output) and of labels (id, name), and traces."""

    content: int
    label: int
    traces: int


@dataclass(frozen=True, slots=True)
class TracePage:
    """A fetched page of traces, ready to be answered at any caps: what `get_agent_traces` finds."""

    query: TracesQuery
    fetched: Sequence[Prepared]
    total: int | None
    mode: ContentMode
    failing_step: Evidence | None = None  # error traces: the step most of a sample of them failed in

    def answer(self, caps: Caps) -> TracesAnswer:
        """The answer showing as much as `caps` allow. Ordered here (not by the API): paged here too."""
        fetched = self.fetched if self.query.order == "newest" else self.fetched[self.query.offset :]
        found = answer(self.query, fetched, self.total, self.mode, caps)
        return found if self.failing_step is None else found.model_copy(update={"failing_step": self.failing_step})


def as_text(value: JsonValue) -> str | None:
    """A string as it is; any other JSON written compactly; null stays null."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def shorten(text: str, cap: int, total: int | None = None) -> str:
    """`text` if it has at most `cap` characters; else its start, cut between characters, marked as cut. With
    `total`: marked as cut however short, of `total` characters in all.

    The cut never separates a base character from its combining marks or joiners.
    """
    if len(text) <= cap and total is None:
        return text
    cut = min(cap, len(text))
    while 0 < cut < len(text) and (
        unicodedata.combining(text[cut]) or text[cut] in _JOINERS or text[cut - 1] == "\u200d"
    ):
        cut -= 1
    return f"{text[:cut]}… [cut: {total or len(text):,} characters in all]"


def prepare(traces: Sequence[Trace], mode: ContentMode = "truncated", ordered: bool = False) -> list[Prepared]:
    """Newest first (the API promises no order; traces without a time go last) unless already `ordered`,
    content as text; in `redacted` mode with e-mail addresses, API keys, phone and card numbers masked."""
    if not ordered:
        traces = sorted(traces, key=lambda t: t.timestamp or _OLDEST, reverse=True)
    masked = mode == "redacted"
    return [Prepared(t, content_of(t.input, masked), content_of(t.output, masked)) for t in traces]


def arrange(parts: Sequence[Sequence[Trace]], order: TraceOrder) -> list[Trace]:
    """Traces fetched from successive parts of a window, in `order`: 'slowest' first (those without a latency
    last), or 'spread': the newest of each part in turn, newest part first, so every part of the window shows."""
    if order == "slowest":
        every = [t for part in parts for t in part]
        return sorted(every, key=lambda t: -1.0 if t.latency_ms is None else t.latency_ms, reverse=True)
    newest = [sorted(p, key=lambda t: t.timestamp or _OLDEST, reverse=True) for p in reversed(parts)]
    return [t for row in itertools.zip_longest(*newest) for t in row if t is not None]


def error_label(t: Trace) -> str | None:
    """What an error trace says went wrong: its output's error type and message, or its first line."""
    if (t.status or "").lower() not in ("error", "failed", "failure"):
        return None
    out = t.output
    if isinstance(out, dict) and "error" in out:
        out = out["error"]
    if isinstance(out, dict):
        kind, message = out.get("type"), out.get("message")
        return ": ".join(str(x) for x in (kind, message) if x) or None
    if isinstance(out, str) and out.strip():
        return out.strip().splitlines()[0]
    return None


def groups(traces: Sequence[Prepared], label_cap: int, by_error: bool = False) -> list[TraceGroup]:
    """Traces by operation name (or, `by_error`, error traces by what went wrong), largest group first, each
    with its oldest and newest time."""
    found: dict[str, list[datetime | None]] = {}
    for p in traces:
        label = error_label(p.trace) if by_error else p.trace.name or UNNAMED
        if label is not None:
            found.setdefault(shorten(label, label_cap), []).append(p.trace.timestamp)
    result = []
    for name, times in found.items():
        known = [t for t in times if t is not None]
        result.append(
            TraceGroup(name=name, count=len(times), first=min(known, default=None), last=max(known, default=None))
        )
    return sorted(result, key=lambda g: (-g.count, g.name))


def answer(
    query: TracesQuery, fetched: Sequence[Prepared], total: int | None, mode: ContentMode, caps: Caps
) -> TracesAnswer:
    """The first `caps.traces` of `fetched` (already newest first), the groups of all of `fetched`, and paging."""
    shown = [_shown(p, mode, caps) for p in fetched[: caps.traces]]
    end = query.offset + len(shown)
    more = end < total if total is not None else len(fetched) > len(shown)
    notes = list(query.notes)
    if len(shown) < min(query.limit, len(fetched)):
        notes.append(
            f"Showing {len(shown)} of the {query.limit} asked for, to keep this answer within its size bound; "
            f"offset={end} continues."
        )
    if mode == "off":
        notes.append("Trace inputs and outputs are hidden: ASTRO_MCP_TRACE_CONTENT=off on this server.")
    grouped = groups(fetched, caps.label)
    return TracesAnswer(
        status=query.status,
        headline=_headline(query, total, grouped, len(fetched)),
        account=query.agent.account,
        name=query.agent.name,
        window=TraceWindow(start=query.start, end=query.end),
        order=query.order,
        total=total,
        offset=query.offset,
        traces=shown,
        groups=grouped,
        errors=groups(fetched, caps.label, by_error=True),
        grouped=len(fetched),
        next_offset=end if more and shown else None,
        content=mode,
        notes=notes,
    )


def _headline(query: TracesQuery, total: int | None, grouped: Sequence[TraceGroup], fetched: int) -> str:
    kind = {"error": "error traces", "ok": "successful traces", "all": "traces"}[query.status]
    matched = f"{total:,} {kind} match" if total is not None else f"{fetched:,} {kind} read"
    if not grouped:
        return f"{matched} in the window."
    top = grouped[0]
    return f"{matched} in the window; the largest group is {top.name}, {top.count:,} of {fetched:,}."


def _shown(p: Prepared, mode: ContentMode, caps: Caps) -> ShownTrace:
    t = p.trace

    def content(kept: Content | None) -> str | None:
        return None if kept is None or mode == "off" else kept.shown(caps.content)

    return ShownTrace(
        trace_id=None if t.trace_id is None else shorten(t.trace_id, caps.label),
        name=None if t.name is None else shorten(t.name, caps.label),
        status=None if t.status is None else shorten(t.status, caps.label),
        latency_ms=t.latency_ms,
        timestamp=t.timestamp,
        input=content(p.input),
        output=content(p.output),
        input_chars=None if p.input is None else p.input.chars,
        output_chars=None if p.output is None else p.output.chars,
    )
