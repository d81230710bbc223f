"""The traces of one agent: what failed, and what it was asked."""

from __future__ import annotations

import dataclasses

import anyio

from astro_mcp.analysis import context as judge
from astro_mcp.analysis import traces as trace_analysis
from astro_mcp.analysis.results.traces import ContentMode
from astro_mcp.analysis.steps import StepsPage
from astro_mcp.analysis.traces import TracePage
from astro_mcp.domain import Trace, TracesQuery
from astro_mcp.errors import AstroError, NotFoundError, QueryError, RouteNotFoundError
from astro_mcp.service import nearby
from astro_mcp.service.failing import FailingSteps
from astro_mcp.service.steps import steps_page
from astro_mcp.service.upstream import Upstream

_GROUPED = 50  # traces fetched for the groups however few are shown: the API's own default page
_PARTS = 4  # parts of the window fetched at once for order='slowest' or 'spread'


class TraceCases:
    """`get_agent_traces`."""

    def __init__(self, upstream: Upstream, mode: ContentMode, failing: FailingSteps) -> None:
        self._up = upstream
        self._mode = mode
        self._failing = failing

    async def traces(self, query: TracesQuery, deadline: float | None = None) -> TracePage | StepsPage:
        """A page of traces, grouped, with content as this server shows it (`trace_content`); for error traces, the
        step most of them failed in; with a `trace_id`, that trace's steps. Raises `AstroError`."""
        if query.trace_id is not None:
            return await self._steps(query, query.trace_id, deadline)
        page = await self._page(query, deadline)
        return page if query.status != "error" else await self._failing_step(page, deadline)

    async def _failing_step(self, page: TracePage, deadline: float | None) -> TracePage:
        """The page with the step most of a sample of its error traces failed in (kept from a metrics call over the
        same window, or read now, `nearby.SHARE` of the budget at most, as any context), or a note that says why
        it has none."""
        query = page.query
        seconds = self._up.settings.call_budget * nearby.SHARE
        note: str | None = f"Failing step: no answer within {seconds:.3g} s; the list stands without it."
        step = None
        with anyio.move_on_after(seconds):
            try:
                steps = await self._failing.of_listed(query, [p.trace for p in page.fetched], deadline)
                step, note = judge.failing_step(query.start, query.end, steps), None
            except AstroError as err:
                note = f"Failing step: {nearby.unread(err)}."
        # The line on which server answered, said again: reading the steps may have taught it more.
        said = nearby.server_said_again(query.notes, self._up.routes.generation())
        query = dataclasses.replace(query, notes=(*said, *([note] if note else [])))
        return dataclasses.replace(page, query=query, failing_step=step)

    async def _page(self, query: TracesQuery, deadline: float | None) -> TracePage:
        """A page of traces, grouped.

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

    async def _steps(self, query: TracesQuery, trace_id: str, deadline: float | None) -> StepsPage:
        """One trace's steps. Raises `QueryError`: the server cannot show steps, or has no such trace."""
        try:
            found = await self._up.around.trace(query.agent, trace_id, deadline)
        except RouteNotFoundError:
            found = None
        except NotFoundError as err:
            if "trace" not in str(err).lower():
                raise
            raise QueryError(
                f"No trace '{trace_id}' in {query.agent}: copy a trace_id from a trace that get_agent_traces listed "
                "for this agent (call it without trace_id), or check the account and name."
            ) from err
        if found is None:
            raise QueryError(
                "trace steps: not available on this server (it has no per-deployment trace route). Call "
                "get_agent_traces without trace_id instead: each listed trace shows its input, output and status."
            )
        notes = (*query.notes, self._up.routes.generation())
        return steps_page(dataclasses.replace(query, notes=notes), trace_id, found, self._mode)
