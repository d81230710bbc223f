"""The traces of one agent: what failed, and what it was asked."""

from __future__ import annotations

import dataclasses

from astro_mcp.analysis import traces as trace_analysis
from astro_mcp.analysis.results.traces import ContentMode
from astro_mcp.analysis.traces import TracePage
from astro_mcp.domain import TracesQuery
from astro_mcp.service.upstream import Upstream

_GROUPED = 50  # traces fetched for the groups however few are shown: the API's own default page


class TraceCases:
    """`get_agent_traces`."""

    def __init__(self, upstream: Upstream, mode: ContentMode) -> None:
        self._up = upstream
        self._mode = mode

    async def traces(self, query: TracesQuery, deadline: float | None = None) -> TracePage:
        """A page of traces, grouped, with content as this server shows it (`trace_content`); raises `AstroError`.

        Not cached: trace content is end users' data, and is kept no longer than the call.
        """
        response, how = await self._up.traces(query, max(query.limit, _GROUPED), deadline)
        notes = (*query.notes, *([how] if how else []), self._up.routes.generation())
        noted = dataclasses.replace(query, notes=notes)
        return TracePage(noted, trace_analysis.prepare(response.traces, self._mode), response.total, self._mode)
