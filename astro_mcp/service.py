"""The use cases: resolve the arguments, fetch from the API, analyse. One cache policy, one clock reading per call.

The server's tools, resources and prompts call these and nothing below them.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from datetime import datetime

import anyio
import httpx2

from astro_mcp.advice import Situation, explain
from astro_mcp.analysis.compare import Mode, Reference, reference_window
from astro_mcp.analysis.query import resolve_query
from astro_mcp.analysis.results import MetricsSummary
from astro_mcp.analysis.summarize import summarize
from astro_mcp.api import routes
from astro_mcp.api.cache import SingleFlightCache
from astro_mcp.api.client import AstroClient
from astro_mcp.api.credentials import TokenSource
from astro_mcp.api.wire import MetricsResponse
from astro_mcp.config import Settings
from astro_mcp.domain import MetricsQuery
from astro_mcp.errors import AstroError

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
_CACHE_BUCKETS = 250_000  # buckets held at most: about 100 MiB at some 400 bytes a parsed bucket
_CACHE_SUMMARIES = 1024


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
        self._summaries: SingleFlightCache[tuple[MetricsQuery, Mode], MetricsSummary] = SingleFlightCache(
            _CACHE_SUMMARIES, lambda _: 1
        )

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

    async def summary(self, query: MetricsQuery, compare: Mode = "previous") -> MetricsSummary:
        """Fetch (the window and the one to compare with, concurrently) and summarize; raises `AstroError`.

        A failed comparison leaves a note rather than failing the call: the window itself is the answer.
        """

        async def compute() -> MetricsSummary:
            earlier = reference_window(query, compare)
            reference: list[Reference] = []
            main = query

            async def fetch_reference(label: str, start: datetime, end: datetime) -> None:
                nonlocal main
                try:
                    got = await self.metrics(MetricsQuery(query.agent, start, end, query.interval_minutes))
                except AstroError as err:
                    main = dataclasses.replace(main, notes=(*main.notes, f"No comparison with {label}: {err}"))
                    return
                sent = got.interval_minutes if got.buckets else query.interval_minutes
                reference.append(Reference(label, start, end, got.buckets, sent, contiguous=compare == "previous"))

            responses: list[MetricsResponse] = []
            failures: list[AstroError] = []

            async def fetch_main() -> None:
                try:
                    responses.append(await self.metrics(query))
                except AstroError as err:  # raised below, unwrapped: a task group would wrap it in a group
                    failures.append(err)
                    tg.cancel_scope.cancel()

            async with anyio.create_task_group() as tg:
                if earlier is not None:
                    tg.start_soon(fetch_reference, *earlier)
                tg.start_soon(fetch_main)
            if failures:
                raise failures[0]
            (response,) = responses
            sent = response.interval_minutes if response.buckets else query.interval_minutes
            return summarize(main, response.buckets, sent, reference[0] if reference else None)

        return await self._summaries.get((query, compare), self._ttl(query), compute)
