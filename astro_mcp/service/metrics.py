"""One agent's metrics: the window, the one to compare it with and its p95, fetched together, then summarized."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

import anyio

from astro_mcp.analysis.assess import Recent
from astro_mcp.analysis.compare import Mode, Reference, reference_window, split_previous, with_previous
from astro_mcp.analysis.cost import Ledger, costed
from astro_mcp.analysis.coverage import without_error_counts
from astro_mcp.analysis.results.metrics import MetricsSummary
from astro_mcp.analysis.rollup import coarsened
from astro_mcp.analysis.summarize import summarize
from astro_mcp.api.cache import SingleFlightCache
from astro_mcp.api.wire import MetricsResponse
from astro_mcp.domain import Bucket, MetricsQuery
from astro_mcp.errors import AstroError
from astro_mcp.service.cost import CostCases
from astro_mcp.service.recent import FINE, Bound, Later, fetch_recent, holds_fine
from astro_mcp.service.upstream import Served, Upstream

_CACHE_SUMMARIES = 1024
# The overview asks for a row's window and the one before it at 5 minutes, where that also gives the agent's
# most recent 6 hours (one request instead of two), up to this many buckets.
_SHARED_BUCKETS = 600
# A summary is kept per comparison: "adjacent" is the overview's, the window just before in the same request.
SummaryKey = tuple[MetricsQuery, Mode | Literal["adjacent"], bool]


class MetricsCases:
    """`get_agent_metrics`, the metrics resources, and the overview's rows."""

    def __init__(self, upstream: Upstream) -> None:
        self._up = upstream
        self.costs = CostCases(upstream)
        self._summaries: SingleFlightCache[SummaryKey, MetricsSummary] = SingleFlightCache(
            _CACHE_SUMMARIES, lambda _: 1
        )

    async def raw(self, query: MetricsQuery, deadline: float | None = None) -> MetricsResponse:
        """Every bucket as the API returned it; raises `AstroError`."""
        return (await self._up.metrics(query, deadline=deadline)).response

    async def summary(
        self,
        query: MetricsQuery,
        compare: Mode = "previous",
        *,
        with_p95: bool = True,
        bound: Bound = None,
        deadline: float | None = None,
    ) -> MetricsSummary:
        """The window, the one to compare it with, and (`with_p95`: one agent's whole answer) its p95 and its
        cost, fetched concurrently (under `bound`, by `deadline`), summarized.

        Only the window itself can fail the call (`AstroError`): a failed comparison leaves a note, and
        a p95 the API cannot give reads "not available".
        """

        async def compute() -> MetricsSummary:
            served, reference, p95, recent, notes, priced = await self._fetch_together(
                query, compare, with_p95, bound, deadline
            )
            main = dataclasses.replace(query, notes=(*query.notes, *notes, self._up.routes.generation()))
            summary = self._summarized(main, served, served.response.buckets, reference, recent)
            summary = costed(summary, *priced) if priced is not None else summary
            return summary.model_copy(update={"p95_latency_ms": p95})

        return await self._summaries.get((query, compare, with_p95), self._up.ttl(query), compute)

    async def with_window_before(self, query: MetricsQuery, bound: Bound, deadline: float | None) -> MetricsSummary:
        """The window compared with the one just before it, without p95: an overview row. Kept like any summary."""
        return await self._summaries.get(
            (query, "adjacent", False), self._up.ttl(query), lambda: self._adjacent(query, bound, deadline)
        )

    async def _adjacent(self, query: MetricsQuery, bound: Bound, deadline: float | None) -> MetricsSummary:
        """The window and the one just before it from one request, where that is exact (else asked apart), and
        the most recent data beside them: an overview row says what `summary` says of the agent now.

        Where the two windows at 5 minutes also hold the agent's last 6 hours, they are asked for at 5 minutes and
        added up: one request gives both windows and the fine view of "now".
        """
        notes: list[str] = []
        asked = finer(with_previous(query), query)
        async with anyio.create_task_group() as tg:
            found = _Window(tg, self._up, asked, bound, deadline)
            source = found.later if holds_fine(asked, query) else None
            recent = fetch_recent(self._up, tg, query, (bound, deadline, notes), source)
        both = _coarsened(await found.served(), asked, query)
        split = split_previous(query, both.response.buckets, both.interval(query))
        if split is None:
            return await self.summary(query, with_p95=False, bound=bound, deadline=deadline)
        mine, before = split
        noted = dataclasses.replace(query, notes=(*query.notes, *notes))
        return self._summarized(noted, both, mine, before, recent())

    def _summarized(
        self,
        query: MetricsQuery,
        served: Served,
        buckets: Sequence[Bucket],
        reference: Reference | None,
        recent: Recent | None = None,
    ) -> MetricsSummary:
        """`summarize`, then the error figures taken out where the route counts no errors."""
        sent = served.interval(query)
        summary = summarize(query, buckets, sent, reference, recent)
        if served.route.counts_errors:
            return summary
        return without_error_counts(summary, served.route.path, sent)

    async def _fetch_together(
        self, query: MetricsQuery, compare: Mode, with_p95: bool, bound: Bound, deadline: float | None
    ) -> tuple[Served, Reference | None, float | None, Recent | None, list[str], tuple[Ledger, Ledger | None] | None]:
        earlier = reference_window(query, compare)
        references: list[Reference] = []
        p95s: list[float | None] = []
        notes: list[str] = []
        asked = finer(query, query) if compare != "none" else query

        async def fetch_reference(label: str, start: datetime, end: datetime) -> None:
            try:
                earlier = MetricsQuery(query.agent, start, end, query.interval_minutes)
                got = await self._up.metrics(earlier, bound, deadline)
            except AstroError as err:
                notes.append(f"No comparison with {label}: {err}")
                return
            buckets, sent = got.response.buckets, got.interval(query)
            references.append(Reference(label, start, end, buckets, sent, contiguous=compare == "previous"))

        async def fetch_p95() -> None:
            p95s.append(await self._up.p95_latency(query, deadline))

        async with anyio.create_task_group() as tg:
            served = _Window(tg, self._up, asked, bound, deadline)
            if earlier is not None:
                tg.start_soon(fetch_reference, *earlier)
            if with_p95:
                tg.start_soon(fetch_p95)
            priced = self.costs.start(tg, query, earlier, deadline) if with_p95 else None
            # compare='none' asks for the window alone, in one request: it is then judged on itself.
            source = served.later if holds_fine(asked, query) else None
            recent = fetch_recent(self._up, tg, query, (bound, deadline, notes), source) if compare != "none" else None
        main = await served.served()
        cost = priced() if priced is not None else None
        return (
            _coarsened(main, asked, query),
            next(iter(references), None),
            next(iter(p95s), None),
            recent() if recent else None,
            notes,
            cost,
        )


class _Window:
    """The window's request, started in `tg`: its failure cancels the group and is raised by `served`, unwrapped
    (a task group would wrap it in a group); the answer is also `later`, for a view that is cut from it."""

    def __init__(
        self, tg: anyio.abc.TaskGroup, up: Upstream, asked: MetricsQuery, bound: Bound, deadline: float | None
    ) -> None:
        self.later: Later[Served] = Later()
        self._failures: list[AstroError] = []

        async def fetch() -> None:
            try:
                self.later.give(await up.metrics(asked, bound, deadline))
            except AstroError as err:
                self._failures.append(err)
                self.later.give(None)
                tg.cancel_scope.cancel()

        tg.start_soon(fetch)

    async def served(self) -> Served:
        got = await self.later.value()
        if got is None:
            raise self._failures[0]
        return got


def finer(asked: MetricsQuery, query: MetricsQuery) -> MetricsQuery:
    """`asked` (a request for `query`'s window) at 5 minutes where those add up exactly to the window's buckets
    and also hold the agent's last 6 hours (the fine view of "now", which then costs no request), within a size."""
    fine = dataclasses.replace(asked, interval_minutes=FINE[1])
    minutes = (asked.end - asked.start).total_seconds() / 60
    shares = query.interval_minutes % FINE[1] == 0 and minutes / FINE[1] <= _SHARED_BUCKETS
    return fine if shares and holds_fine(fine, query) else asked


def _coarsened(served: Served, asked: MetricsQuery, query: MetricsQuery) -> Served:
    """The answer to `asked` in `query`'s buckets, where those are a multiple of the ones it came in."""
    buckets, sent = coarsened(served.response.buckets, served.interval(asked), query.interval_minutes)
    if sent == served.interval(asked) and served.response.buckets:
        return served
    return Served(served.response.model_copy(update={"buckets": buckets, "interval_minutes": sent}), served.route)
