"""One agent's metrics: the window, the one to compare it with and its p95, fetched together, then summarized."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

import anyio
import anyio.abc

from astro_mcp.analysis.assess import Recent, View
from astro_mcp.analysis.compare import Mode, Reference, reference_window, split_previous, with_previous
from astro_mcp.analysis.cost import Ledger, costed
from astro_mcp.analysis.coverage import without_error_counts
from astro_mcp.analysis.results.metrics import MetricsSummary
from astro_mcp.analysis.summarize import summarize
from astro_mcp.api.cache import SingleFlightCache
from astro_mcp.api.wire import MetricsResponse
from astro_mcp.domain import Bucket, MetricsQuery
from astro_mcp.errors import AstroError
from astro_mcp.formats import minutes as describe_minutes
from astro_mcp.service.cost import CostCases
from astro_mcp.service.upstream import Served, Upstream

_CACHE_SUMMARIES = 1024
# The most recent data, fetched beside any window: the status and "now" come from it, the same in every view.
# A week hourly (the baseline: levels, the daily and weekly rhythm, slow drifts and recoveries) and the last
# six hours at 5 minutes (fast patterns, and when things began or ended).
LONG, FINE = (timedelta(days=7), 60), (timedelta(hours=6), 5)
RECENT: tuple[tuple[timedelta, int], ...] = (LONG, FINE)
_DAY = timedelta(days=1)
Bound = anyio.CapacityLimiter | None
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
        the most recent data beside them: an overview row says what `summary` says of the agent now."""
        found: list[Served] = []
        notes: list[str] = []
        failures: list[AstroError] = []

        async def fetch_both() -> None:
            try:
                found.append(await self._up.metrics(with_previous(query), bound, deadline))
            except AstroError as err:  # raised below, unwrapped: a task group would wrap it in a group
                failures.append(err)
                tg.cancel_scope.cancel()

        async with anyio.create_task_group() as tg:
            tg.start_soon(fetch_both)
            recent = self._recent(tg, query, bound, notes, deadline)
        if failures:
            raise failures[0]
        both = found[0]
        split = split_previous(query, both.response.buckets, both.interval(query))
        if split is None:
            return await self.summary(query, with_p95=False, bound=bound, deadline=deadline)
        buckets, before = split
        return self._summarized(
            dataclasses.replace(query, notes=(*query.notes, *notes)), both, buckets, before, recent()
        )

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
        served: list[Served] = []
        references: list[Reference] = []
        p95s: list[float | None] = []
        notes: list[str] = []
        failures: list[AstroError] = []

        async def fetch_main() -> None:
            try:
                served.append(await self._up.metrics(query, bound, deadline))
            except AstroError as err:  # raised below, unwrapped: a task group would wrap it in a group
                failures.append(err)
                tg.cancel_scope.cancel()

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
            tg.start_soon(fetch_main)
            if earlier is not None:
                tg.start_soon(fetch_reference, *earlier)
            if with_p95:
                tg.start_soon(fetch_p95)
            priced = self.costs.start(tg, query, earlier, deadline) if with_p95 else None
            # compare='none' asks for the window alone, in one request: it is then judged on itself.
            recent = self._recent(tg, query, bound, notes, deadline) if compare != "none" else lambda: None
        if failures:
            raise failures[0]
        cost = priced() if priced is not None else None
        return served[0], next(iter(references), None), next(iter(p95s), None), recent(), notes, cost

    def _recent(
        self, tg: anyio.abc.TaskGroup, query: MetricsQuery, bound: Bound, notes: list[str], deadline: float | None
    ) -> Callable[[], Recent | None]:
        """Start fetching the most recent data (`RECENT`) in `tg`; once it is done, the returned function gives it.

        A view that cannot be read leaves a note: the verdict is then judged on what there is.
        """
        views: dict[int, View] = {}

        async def fetch(span: timedelta, minutes: int) -> None:
            start = query.end - span
            if span >= _DAY:  # from midnight: whole days, which the API (and the simulator) can keep
                start = datetime.fromtimestamp(int(start.timestamp()) // 86400 * 86400, UTC)
            recent = MetricsQuery(query.agent, start, query.end, minutes, live=query.live)
            try:
                got = await self._up.metrics(recent, bound, deadline)
            except AstroError as err:
                lost = describe_minutes(int(span.total_seconds()) // 60)
                notes.append(f"The agent's most recent {lost} could not be read ({err}): judged on the window alone.")
                return
            views[minutes] = (got.response.buckets, got.interval(recent), recent.start)

        for span, minutes in RECENT:
            tg.start_soon(fetch, span, minutes)

        def done() -> Recent | None:
            long = views.get(LONG[1])
            return Recent(long, views.get(FINE[1]), query.end) if long is not None else None

        return done
