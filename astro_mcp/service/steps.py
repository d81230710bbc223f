"""A trace-detail answer from the platform's wire model: its observations read into `analysis.steps`."""

from __future__ import annotations

from astro_mcp.analysis.results.traces import ContentMode
from astro_mcp.analysis.steps import Observed, StepsPage, nest
from astro_mcp.analysis.traces import content_of
from astro_mcp.api.platform_wire import Observation, TraceDetail
from astro_mcp.domain import TracesQuery


def _observed(o: Observation) -> Observed:
    usage = o.usage
    return Observed(
        o.id,
        o.parent_observation_id,
        o.name,
        o.type,
        o.model,
        o.level,
        o.status_message,
        o.start_time,
        o.end_time,
        None if usage is None else usage.input,
        None if usage is None else usage.output,
        o.cost,
    )


def steps_page(query: TracesQuery, trace_id: str, found: TraceDetail, mode: ContentMode) -> StepsPage:
    """The trace's steps nested, its content as text (personal data masked in `redacted` mode)."""
    masked = mode == "redacted"
    return StepsPage(
        query,
        found.trace_id or trace_id,
        found.name,
        found.timestamp,
        found.latency_ms,
        found.total_cost,
        content_of(found.input, masked),
        content_of(found.output, masked),
        nest([_observed(o) for o in found.observations]),
        mode,
    )
