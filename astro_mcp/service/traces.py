"""The traces of one agent: what failed, and what it was asked."""

from __future__ import annotations

import dataclasses

import anyio

from astro_mcp.analysis import traces as trace_analysis
from astro_mcp.analysis.results.traces import ContentMode
from astro_mcp.analysis.traces import TracePage
from astro_mcp.domain import Trace, TracesQuery
from astro_mcp.errors import AstroError
from astro_mcp.service.upstream import Upstream

_GROUPED = 50  # traces fetched for the groups however few are shown: the API's own default page
_PARTS = 4  # parts of the window fetched at once for order='slowest' or 'spread'


class TraceCases:
    """`get_agent_traces`."""

    def __init__(self, upstream: Upstream, mode: ContentMode) -> None:
        self._up = upstream
        self._mode = mode

    async def traces(self, query: TracesQuery, deadline: float | None = None) -> TracePage:
        """A page of traces, grouped, with content as this server shows it (`trace_content`); raises `AstroError`.

        'newest' is the API's own paging. 'slowest' and 'spread' fetch a page from each part of the window at
        once and order what came client-side (the API sorts by neither). Not cached: trace content is end
        users' data, and is kept no longer than the call.
        """
        if query.order == "newest":
            response, shrunk = await self._up.traces(query, max(query.limit, _GROUPED), deadline)
            said = (*query.notes, *([shrunk] if shrunk else []), self._up.routes.generation())
            return TracePage(
                dataclasses.replace(query, notes=said),
                trace_analysis.prepare(response.traces, self._mode),
                response.total,
                self._mode,
            )
        parts: list[list[Trace]] = [[] for _ in range(_PARTS)]
        notes: list[str] = []
        failures: list[AstroError] = []
        step = (query.end - query.start) / _PARTS

        async def fetch(k: int) -> None:
            part = dataclasses.replace(query, start=query.start + k * step, end=query.start + (k + 1) * step, offset=0)
            try:
                response, shrunk = await self._up.traces(part, _GROUPED, deadline)
            except AstroError as err:  # raised below, unwrapped: a task group would wrap it in a group
                failures.append(err)
                tg.cancel_scope.cancel()
                return
            parts[k] = list(response.traces)
            if shrunk is not None and shrunk not in notes:
                notes.append(shrunk)

        async with anyio.create_task_group() as tg:
            for k in range(_PARTS):
                tg.start_soon(fetch, k)
        if failures:
            raise failures[0]
        arranged = trace_analysis.arrange(parts, query.order)
        query = dataclasses.replace(query, notes=(*query.notes, *notes, self._up.routes.generation()))
        return TracePage(query, trace_analysis.prepare(arranged, self._mode, ordered=True), len(arranged), self._mode)
