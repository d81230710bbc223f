"""One trace's steps made readable: nested by parent, in the order they started, shortened to caps. Pure.

`nest` orders the observations once (depth-first; a step whose parent is unknown is a top-level one;
a loop of parents is broken where it closes); `TraceDetail.answer` builds the answer for given caps,
cheaply enough to be called again with smaller ones until it fits a bound. Steps at level ERROR are
the last to be left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from astro_mcp.analysis.results.steps import ShownStep, TraceSteps
from astro_mcp.analysis.results.traces import ContentMode, TracesAnswer, TraceWindow
from astro_mcp.analysis.traces import Content, shorten
from astro_mcp.domain import TracesQuery

_LATEST = datetime.max.replace(tzinfo=UTC)
LABEL_CHARS = 100  # of a step's name, type or model


@dataclass(frozen=True, slots=True)
class Observed:
    """One step as the platform sent it."""

    id: str | None
    parent: str | None
    name: str | None
    type: str | None
    model: str | None
    level: str | None
    status_message: str | None
    start: datetime | None
    end: datetime | None
    input_tokens: int | None
    output_tokens: int | None
    cost: float | None

    @property
    def failed(self) -> bool:
        return (self.level or "").upper() == "ERROR"


@dataclass(frozen=True, slots=True)
class StepCaps:
    """How much to show: characters of content and of each status message, and how many steps."""

    content: int
    message: int
    steps: int


def nest(observations: Sequence[Observed]) -> list[tuple[int, Observed]]:
    """(depth, step), depth-first, children in the order they started."""
    ids = {o.id for o in observations if o.id is not None}
    children: dict[str | None, list[Observed]] = {}
    for o in observations:
        parent = o.parent if o.parent in ids and o.parent != o.id else None
        children.setdefault(parent, []).append(o)
    for found in children.values():
        found.sort(key=lambda o: o.start or _LATEST)
    ordered: list[tuple[int, Observed]] = []
    seen: set[int] = set()
    stack = [(0, o) for o in reversed(children.get(None, []))]
    while stack:
        depth, o = stack.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        ordered.append((depth, o))
        stack += [(depth + 1, c) for c in reversed(children.get(o.id, [])) if o.id is not None]
    # Steps only reachable through a loop of parents: shown at the top level, not lost.
    ordered += [(0, o) for o in observations if id(o) not in seen]
    return ordered


@dataclass(frozen=True, slots=True)
class StepsPage:
    """A fetched trace with its steps nested and its content as text: what `get_agent_traces(trace_id=...)` finds."""

    query: TracesQuery
    trace_id: str
    name: str | None
    timestamp: datetime | None
    latency_ms: float | None
    total_cost: float | None
    input: Content | None
    output: Content | None
    steps: Sequence[tuple[int, Observed]]
    mode: ContentMode

    def answer(self, caps: StepCaps) -> TracesAnswer:
        """The answer showing as much as `caps` allow: every ERROR step first, then the others in order."""
        by_priority = sorted(range(len(self.steps)), key=lambda k: (not self.steps[k][1].failed, k))
        kept = sorted(by_priority[: caps.steps])
        shown = [_shown(*self.steps[k], caps.message) for k in kept]
        failed = next((o.name or "(unnamed)" for _, o in self.steps if o.failed), None)

        def content(kept: Content | None) -> str | None:
            return None if kept is None or self.mode == "off" else kept.shown(caps.content)

        steps = TraceSteps(
            trace_id=self.trace_id,
            name=_label(self.name),
            timestamp=self.timestamp,
            latency_ms=self.latency_ms,
            total_cost_usd=self.total_cost,
            input=content(self.input),
            output=content(self.output),
            steps=shown,
            more_steps=len(self.steps) - len(shown),
            failed_step=failed,
        )
        q = self.query
        failing = f"; it failed in {failed}" if failed else "; no step failed"
        return TracesAnswer(
            status=q.status,
            headline=f"Trace {shorten(self.trace_id, 40)}: {len(self.steps)} steps{failing}.",
            account=q.agent.account,
            name=q.agent.name,
            window=TraceWindow(start=q.start, end=q.end),
            total=None,
            offset=0,
            traces=[],
            groups=[],
            grouped=0,
            next_offset=None,
            content=self.mode,
            notes=list(q.notes),
            trace=steps,
        )


def _shown(depth: int, o: Observed, message_cap: int) -> ShownStep:
    latency = (o.end - o.start).total_seconds() * 1000 if o.start and o.end else None
    return ShownStep(
        depth=depth,
        name=_label(o.name),
        type=_label(o.type),
        model=_label(o.model),
        level=_label(o.level),
        status_message=None if o.status_message is None else shorten(o.status_message, message_cap),
        start=o.start,
        latency_ms=latency,
        input_tokens=o.input_tokens,
        output_tokens=o.output_tokens,
        cost_usd=o.cost,
    )


def _label(text: str | None) -> str | None:
    return None if text is None else shorten(text, LABEL_CHARS)
