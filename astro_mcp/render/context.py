"""The context of an incident as the text a model reads, and lighter versions of a summary for the answer's bound.

Upstream text (an event's message and guidance, an alert's title, an error message) is quoted between the
same fences as trace content: data to report, never instructions.
"""

from __future__ import annotations

from collections.abc import Iterator

from astro_mcp.analysis.results.context import Evidence, IncidentContext
from astro_mcp.analysis.results.metrics import MetricsSummary, TracesCall
from astro_mcp.render.fence import fenced

RELATED = "Likely related (evidence around the onset, not a proven cause):"


def lines(context: IncidentContext | None, call: TracesCall) -> list[str]:
    """The lines under an incident: its failing step (or the call that shows it, where it was still being read), then
    what happened around its onset, most likely first."""
    if context is None:
        return []
    found = []
    if context.failing_step is not None:
        found.append(f"  Failing step: {said(context.failing_step)}")
    elif context.failing_step_pending:
        found.append(
            f"  Failing step: still being read when this answer was sent; get_agent_traces(account='{call.account}', "
            f"name='{call.name}', start_time='{call.start_time}', end_time='{call.end_time}', status='error') shows it."
        )
    if context.likely_related:
        found.append(f"  {RELATED}")
        found += [f"  · {said(e)}" for e in context.likely_related]
    if context.more:
        found.append(f"  · and {context.more} more, left out for size.")
    return found


def brief(context: IncidentContext | None) -> list[str]:
    """An overview row's context, on one line under the row: its items, most likely first."""
    if context is None or not context.likely_related:
        return []
    more = f" (and {context.more} more)" if context.more else ""
    return [f"  Likely related: {'; '.join(_quoted(e) for e in context.likely_related)}{more}."]


def said(e: Evidence) -> str:
    """A piece of evidence in one line, the platform's own text fenced."""
    return _quoted(e) if e.upstream else f"{e.said}."


def _quoted(e: Evidence) -> str:
    return f"{e.said}: {fenced(e.upstream)}" if e.upstream else e.said


def lighter(summary: MetricsSummary) -> Iterator[MetricsSummary]:
    """Smaller and smaller contexts: fewer items per incident, then no platform text, then none at all."""
    for keep, quoted in ((3, True), (1, True), (1, False), (0, False)):
        yield summary.model_copy(
            update={
                "incidents": [
                    i.model_copy(update={"context": _cut(i.context, keep, quoted)}) for i in summary.incidents
                ]
            }
        )


def _cut(context: IncidentContext | None, keep: int, quoted: bool) -> IncidentContext | None:
    if context is None or (keep == 0 and not quoted):
        return None

    def shown(e: Evidence) -> Evidence:
        return e if quoted else e.model_copy(update={"upstream": None})

    step = None if context.failing_step is None else shown(context.failing_step)
    items = context.likely_related
    return context.model_copy(
        update={
            "likely_related": [shown(e) for e in items[:keep]],
            "more": context.more + max(0, len(items) - keep),
            "failing_step": step,
        }
    )
