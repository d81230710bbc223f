"""The traces of one agent: what failed, and what it was asked."""

from __future__ import annotations

import dataclasses

from astro_mcp.analysis import traces as trace_analysis
from astro_mcp.analysis.trace_results import TracesAnswer
from astro_mcp.api import routes
from astro_mcp.domain import TracesQuery, TraceStatus
from astro_mcp.render import traces as trace_text
from astro_mcp.service.core import Core

_GROUPED = 50  # traces fetched for the groups however few are shown: the API's own default page


class TraceCases(Core):
    """`get_agent_traces`."""

    def resolve_traces(
        self,
        account: str,
        name: str,
        start: str | float | None,
        end: str | float | None,
        status: TraceStatus,
        limit: int,
        offset: int,
    ) -> TracesQuery:
        """Check the arguments as `resolve` does (same slugs, times and window limits); raises `QueryError`."""
        window = self.resolve(account, name, start, end, None)
        return TracesQuery(window.agent, window.start, window.end, status, limit, offset, window.notes)

    async def traces(self, query: TracesQuery) -> tuple[TracesAnswer, str]:
        """A page of traces as a result and its text, within the answer bound; raises `AstroError`.

        Not cached: trace content is end users' data, and is kept no longer than the call.
        """
        response, shrunk = await routes.traces(self.client, query, max(query.limit, _GROUPED))
        if shrunk is not None:
            query = dataclasses.replace(query, notes=(*query.notes, shrunk))
        self.agents.setdefault(query.agent.account, set()).add(query.agent.name)
        fetched = trace_analysis.prepare(response.traces)
        mode = self.settings.trace_content
        return trace_text.fitted(
            lambda caps: trace_analysis.answer(query, fetched, response.total, mode, caps),
            query.limit,
            full=mode == "full",
        )
