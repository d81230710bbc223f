"""The Astro API as the use cases see it, for the server's lifetime: the client and its sign-in, the caches,
the fan-out bound and the route strategy. Each of these is decided here and nowhere else.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import anyio
import httpx2

from astro_mcp import progress
from astro_mcp.api import generation, platform_routes, routes
from astro_mcp.api.cache import SingleFlightCache
from astro_mcp.api.client import AstroClient
from astro_mcp.api.credentials import TokenSource
from astro_mcp.api.platform_wire import DeploymentsSummary
from astro_mcp.api.wire import Deployment, MeResponse, MetricsResponse, SummaryResponse, TracesResponse
from astro_mcp.config import Settings
from astro_mcp.domain import MetricsQuery, TracesQuery
from astro_mcp.errors import AstroError, NotFoundError, RequestTimeoutError
from astro_mcp.service.around import Around
from astro_mcp.service.trace_scan import scan

logger = logging.getLogger(__name__)

# What a parsed bucket takes in memory (measured with tracemalloc: some 480 bytes), with headroom. The wire
# models bound every field of a bucket and ignore everything else, so this is the real size of an answer.
BUCKET_BYTES = 512
_FLEET_TTL = 60.0  # accounts and deployments change rarely; a minute keeps completions and fan-outs cheap
_SHARES = 8  # a request of a fan-out holds its place for 1/8 of the call's budget at most ...
_MIN_SHARE = 1.0  # ... and for 1 s at least


@dataclass(frozen=True, slots=True)
class Route:
    """A metrics route, and whether its buckets count errors."""

    path: str
    counts_errors: bool


PER_AGENT = Route(generation.AGENT_METRICS, counts_errors=True)
PER_DEPLOYMENT = Route(generation.DEPLOYMENT_METRICS, counts_errors=False)


@dataclass(frozen=True, slots=True)
class Served:
    """The API's metrics answer, and the route that gave it."""

    response: MetricsResponse
    route: Route

    def interval(self, query: MetricsQuery) -> int:
        """The buckets' width: what the API says, unless it sent none (it then says 60 whatever was asked)."""
        return self.response.interval_minutes if self.response.buckets else query.interval_minutes


def _weight(served: Served) -> int:
    """The memory an answer holds, for the cache's byte cap."""
    return (len(served.response.buckets) + 1) * BUCKET_BYTES


class Upstream:
    """The API client, the caches, the fan-out bound and the route strategy, for the server's lifetime."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx2.AsyncBaseTransport | None = None,
        known_agents: Mapping[str, set[str]] | None = None,
    ) -> None:
        self.settings = settings
        self.tokens = TokenSource(settings)
        self.client = AstroClient(settings, self.tokens, transport=transport)
        self.routes = generation.RouteMap(self.client, settings.api_url)
        # Deploys, alerts, events, trace steps.
        self.around = Around(self.client, self.routes, self.deployment_of, settings.live_cache_ttl)
        # Agents this server has answered for, for completions.
        self.seen: dict[str, set[str]] = {a: set(names) for a, names in (known_agents or {}).items()}
        self._responses: SingleFlightCache[MetricsQuery, Served] = SingleFlightCache(settings.cache_bytes, _weight)
        self._me: SingleFlightCache[str, MeResponse] = SingleFlightCache(1, lambda _: 1)
        self._deployments: SingleFlightCache[str, list[Deployment]] = SingleFlightCache(256, lambda _: 1)
        self._fan_out: anyio.CapacityLimiter | None = None

    async def aclose(self) -> None:
        await self.client.aclose()
        await self.tokens.aclose()

    @property
    def fan_out(self) -> anyio.CapacityLimiter:
        """The bound (max_concurrency) on the upstream requests one fan-out keeps in flight.

        Made on first use: it needs the event loop.
        """
        if self._fan_out is None:
            self._fan_out = anyio.CapacityLimiter(self.settings.max_concurrency)
        return self._fan_out

    def ttl(self, query: MetricsQuery) -> float:
        """The one cache policy: a window that is still filling is kept briefly, a past one for longer."""
        return self.settings.live_cache_ttl if query.live else self.settings.cache_ttl

    def saw(self, account: str, name: str) -> None:
        self.seen.setdefault(account, set()).add(name)

    async def metrics(
        self, query: MetricsQuery, bound: anyio.CapacityLimiter | None = None, deadline: float | None = None
    ) -> Served:
        """The API's answer for a resolved query, fetched under `bound` if given, by `deadline` (`anyio`'s clock);
        raises `AstroError`."""
        served = await self._responses.get(query, self.ttl(query), lambda: self._fetch(query, bound, deadline))
        self.saw(query.account, query.name)
        return served

    async def _fetch(self, query: MetricsQuery, bound: anyio.CapacityLimiter | None, deadline: float | None) -> Served:
        if bound is None:
            return await self._fetch_route(query, deadline)
        async with bound:
            # One place of a fan-out is held for a share of the budget at most: agents that never answer must
            # not keep every other agent waiting until the call's deadline.
            share = max(_MIN_SHARE, self.settings.call_budget / _SHARES)
            with anyio.move_on_after(share) as scope:
                return await self._fetch_route(query, deadline)
        assert scope.cancelled_caught
        raise RequestTimeoutError(f"no answer within {share:.3g} s, the most one agent may take of the call's budget")

    async def _fetch_route(self, query: MetricsQuery, deadline: float | None) -> Served:
        """The documented per-agent route where the server has it, else the per-deployment one."""

        async def per_agent() -> Served:
            return Served(await routes.metrics(self.client, query, deadline), PER_AGENT)

        async def per_deployment() -> Served:
            deployment = await self.deployment_of(query.account, query.name, deadline)
            granularity = routes.granularity_for(query.interval_minutes)
            served = await routes.deployment_metrics(self.client, deployment, query, granularity, deadline)
            return Served(served, PER_DEPLOYMENT)

        served, _ = await self.routes.preferred(generation.AGENT_METRICS, per_agent, per_deployment)
        return served

    async def deployment_of(self, account: str, name: str, deadline: float | None = None) -> str:
        """The id of `name`'s active deployment. Raises: NotFoundError: it has none (with an id)."""
        found = next((d for d in await self.deployments(account, deadline) if d.serves(name) and d.id), None)
        if found is None or found.id is None:
            raise NotFoundError(404, "agent not deployed", f"no active deployment of '{name}' in '{account}'")
        return found.id

    async def p95_latency(self, query: MetricsQuery, deadline: float | None = None) -> float | None:
        """The window's p95 latency from the summary endpoint; None, logged, if that fails in any way.

        The metrics answer must not depend on this second endpoint: an older server may lack it.
        """

        async def per_deployment() -> SummaryResponse:
            deployment = await self.deployment_of(query.account, query.name, deadline)
            return await platform_routes.summary(self.client, deployment, query.start, query.end)

        try:
            response, _ = await self.routes.preferred(
                generation.AGENT_SUMMARY, lambda: routes.summary(self.client, query, deadline), per_deployment
            )
        except AstroError as err:
            logger.info("p95 not available for %s: %s", query.agent, err)
            return None
        return response.metrics.p95_latency_ms

    async def costs(
        self, account: str, start: datetime, end: datetime, deadline: float | None = None
    ) -> DeploymentsSummary | None:
        """Each deployment's requests and cost over [start, end); None where the server has no such route.
        Raises `AstroError`: the route exists and failed."""
        return await self.routes.optional(
            generation.DEPLOYMENTS_SUMMARY,
            lambda: platform_routes.deployments_summary(self.client, account, start, end, deadline),
        )

    async def me(self, deadline: float | None = None) -> MeResponse:
        """`/me`, kept for a minute; raises `AstroError`."""

        async def fetch() -> MeResponse:
            await progress.step("reading the user's accounts")
            return await routes.me(self.client, deadline)

        return await self._me.get("me", _FLEET_TTL, fetch)

    async def deployments(self, account: str, deadline: float | None = None) -> list[Deployment]:
        """The account's active deployments, kept for a minute; raises `AstroError`."""

        async def fetch() -> list[Deployment]:
            await progress.step(f"reading the deployments of {account}")
            return (await routes.deployments(self.client, account, deadline)).deployments

        return await self._deployments.get(account, _FLEET_TTL, fetch)

    def _scan_seconds(self, deadline: float | None) -> float:
        """How long a client-side search for matching traces may page: half of what is left of the call."""
        left = self.settings.call_budget if deadline is None else deadline - anyio.current_time()
        return max(0.0, left) / 2

    async def traces(
        self, query: TracesQuery, limit: int, deadline: float | None = None
    ) -> tuple[TracesResponse, str | None]:
        """At most `limit` traces from the query's offset, and a note on how they were found: where the server could
        not filter them, or where the page was too large and fewer were asked for. Never cached: trace content is
        end users' data. Raises `AstroError`."""

        await progress.step(f"fetching traces {query.offset + 1}–{query.offset + limit} of {query.agent}")

        async def per_deployment() -> tuple[TracesResponse, str | None]:
            deployment = await self.deployment_of(query.agent.account, query.agent.name, deadline)

            async def page(offset: int, size: int) -> TracesResponse:
                return await platform_routes.traces(self.client, deployment, query.start, query.end, size, offset)

            return await scan(page, query, limit, self._scan_seconds(deadline))

        async def per_agent() -> tuple[TracesResponse, str | None]:
            return await routes.traces(self.client, query, limit, deadline)

        found, _ = await self.routes.preferred(generation.AGENT_TRACES, per_agent, per_deployment)
        self.saw(query.agent.account, query.agent.name)
        return found
