"""The use cases: resolve the arguments, fetch from the API, analyse. One cache policy, one clock reading per call.

The server's tools, resources and prompts call these and nothing below them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime

import anyio
import httpx2

from astro_mcp.advice import Situation, explain
from astro_mcp.analysis import traces as trace_analysis
from astro_mcp.analysis.query import resolve_query
from astro_mcp.analysis.results import MetricsSummary
from astro_mcp.analysis.summarize import summarize
from astro_mcp.analysis.trace_results import TracesAnswer
from astro_mcp.api import routes
from astro_mcp.api.cache import SingleFlightCache
from astro_mcp.api.client import AstroClient
from astro_mcp.api.credentials import TokenSource
from astro_mcp.api.wire import MetricsResponse
from astro_mcp.config import Settings
from astro_mcp.domain import MetricsQuery, TracesQuery, TraceStatus
from astro_mcp.errors import AstroError
from astro_mcp.render import traces as trace_text

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
_CACHE_BUCKETS = 250_000  # buckets held at most: about 100 MiB at some 400 bytes a parsed bucket
_CACHE_SUMMARIES = 1024
_GROUPED = 50  # traces fetched for the groups however few are shown: the API's own default page


class Service:
    """What the server does, for its whole lifetime: holds the API client, the cache and the agents seen."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        *,
        transport: httpx2.AsyncBaseTransport | None = None,
        known_agents: Mapping[str, set[str]] | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.tokens = TokenSource(settings.access_token, settings.credentials_file)
        self.client = AstroClient(settings, self.tokens, clock=clock, transport=transport)
        # Agents this server has answered for, for completions.
        self.agents: dict[str, set[str]] = {a: set(names) for a, names in (known_agents or {}).items()}
        self._responses: SingleFlightCache[MetricsQuery, MetricsResponse] = SingleFlightCache(
            _CACHE_BUCKETS, lambda response: len(response.buckets) + 1
        )
        self._summaries: SingleFlightCache[MetricsQuery, MetricsSummary] = SingleFlightCache(
            _CACHE_SUMMARIES, lambda _: 1
        )
        self._p95s: SingleFlightCache[MetricsQuery, float | None] = SingleFlightCache(_CACHE_SUMMARIES, lambda _: 1)

    async def aclose(self) -> None:
        await self.client.aclose()

    def known_accounts(self) -> list[str]:
        """Account slugs to offer as completions: the login's, then those already asked about."""
        return list(dict.fromkeys([*self.tokens.accounts(), *sorted(self.agents)]))

    def known_agents(self, account: str) -> list[str]:
        """Agent names of `account` to offer as completions."""
        return sorted(self.agents.get(account, set()))

    def explain(self, err: AstroError, account: str) -> str:
        """What failed and what to do next, for the model."""
        situation = Situation(self.tokens.source, self.tokens.accounts(), self.settings.api_url)
        return explain(err, account, situation)

    def resolve(
        self, account: str, name: str, start: str | None, end: str | None, interval: int | str | None
    ) -> MetricsQuery:
        """Check the arguments against one reading of the clock; raises `QueryError`."""
        s = self.settings
        return resolve_query(
            account,
            name,
            start,
            end,
            interval,
            now=self.clock(),
            max_window_days=s.max_window_days,
            max_buckets=s.max_buckets,
        )

    def _ttl(self, query: MetricsQuery) -> float:
        """The one cache policy: a window that is still filling is kept briefly, a past one for longer."""
        return self.settings.live_cache_ttl if query.live else self.settings.cache_ttl

    async def metrics(self, query: MetricsQuery) -> MetricsResponse:
        """The API's answer for a resolved query; raises `AstroError`."""
        response = await self._responses.get(query, self._ttl(query), lambda: routes.metrics(self.client, query))
        self.agents.setdefault(query.account, set()).add(query.name)
        return response

    async def summary(self, query: MetricsQuery) -> MetricsSummary:
        """Fetch and summarize a resolved query; raises `AstroError`."""

        async def compute() -> MetricsSummary:
            response = await self.metrics(query)
            sent = response.interval_minutes if response.buckets else query.interval_minutes
            return summarize(query, response.buckets, sent)

        return await self._summaries.get(query, self._ttl(query), compute)

    async def p95_latency(self, query: MetricsQuery) -> float | None:
        """The window's p95 latency from the summary endpoint; None, logged, if that fails in any way.

        The metrics answer must not depend on this second endpoint: an older server may lack it.
        """

        async def fetch() -> float | None:
            try:
                response = await routes.summary(self.client, query)
            except AstroError as err:
                logger.info("p95 not available for %s: %s", query.agent, err)
                return None
            return response.metrics.p95_latency_ms

        return await self._p95s.get(query, self._ttl(query), fetch)

    async def summary_with_p95(self, query: MetricsQuery) -> tuple[MetricsSummary, float | None]:
        """The summary and the window's p95, fetched concurrently; raises `AstroError` for the summary only."""
        p95: float | None = None
        summary: MetricsSummary | AstroError

        async def fetch_p95() -> None:
            nonlocal p95
            p95 = await self.p95_latency(query)

        async with anyio.create_task_group() as tg:
            tg.start_soon(fetch_p95)
            try:
                summary = await self.summary(query)
            except AstroError as err:  # raised here, it would reach the caller wrapped in an ExceptionGroup
                summary = err
                tg.cancel_scope.cancel()
        if isinstance(summary, AstroError):
            raise summary
        return summary, p95

    def resolve_traces(
        self,
        account: str,
        name: str,
        start: str | None,
        end: str | None,
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
        response = await routes.traces(self.client, query, max(query.limit, _GROUPED))
        self.agents.setdefault(query.agent.account, set()).add(query.agent.name)
        fetched = trace_analysis.prepare(response.traces)
        mode = self.settings.trace_content
        return trace_text.fitted(
            lambda caps: trace_analysis.answer(query, fetched, response.total, mode, caps),
            query.limit,
            full=mode == "full",
        )
