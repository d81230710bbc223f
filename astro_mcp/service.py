"""The use cases: resolve the arguments, fetch from the API, analyse. One cache policy, one clock reading per call.

The server's tools, resources and prompts call these and nothing below them.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import TypeVar

import anyio
import httpx2

from astro_mcp.advice import Situation, brief, explain
from astro_mcp.analysis import traces as trace_analysis
from astro_mcp.analysis.coverage import without_error_counts
from astro_mcp.analysis.fleet import Fleet, FleetAccount, FleetAgent, merge_agents
from astro_mcp.analysis.overview import (
    AccountOverview,
    AgentRow,
    OverviewWindow,
    failed_row,
    not_deployed_row,
    overview,
    row_of,
)
from astro_mcp.analysis.query import resolve_query
from astro_mcp.analysis.results import MetricsSummary
from astro_mcp.analysis.summarize import summarize
from astro_mcp.analysis.trace_results import TracesAnswer
from astro_mcp.api import routes
from astro_mcp.api.cache import SingleFlightCache
from astro_mcp.api.client import AstroClient
from astro_mcp.api.credentials import TokenSource
from astro_mcp.api.wire import Deployment, MeAccount, MeResponse, MetricsResponse
from astro_mcp.config import Settings
from astro_mcp.domain import AgentRef, MetricsQuery, TracesQuery, TraceStatus
from astro_mcp.errors import AstroError, NotFoundError, RouteNotFoundError
from astro_mcp.redaction import redact
from astro_mcp.render import traces as trace_text

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
# What a parsed bucket takes in memory (measured with tracemalloc: some 480 bytes), with headroom. The wire
# models bound every field of a bucket and ignore everything else, so this is the real size of an answer.
BUCKET_BYTES = 512
_CACHE_SUMMARIES = 1024
_FLEET_TTL = 60.0  # accounts and deployments change rarely; a minute keeps completions and fan-outs cheap
_COMPLETION_WAIT = 2.0  # a completion is typed live: it never waits on the API longer than this
T = TypeVar("T")


def response_bytes(response: MetricsResponse) -> int:
    """The memory an answer holds, for the cache's byte cap."""
    return (len(response.buckets) + 1) * BUCKET_BYTES


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
        self.tokens = TokenSource(settings)
        self.client = AstroClient(settings, self.tokens, transport=transport)
        # Agents this server has answered for, for completions.
        self.agents: dict[str, set[str]] = {a: set(names) for a, names in (known_agents or {}).items()}
        self._responses: SingleFlightCache[MetricsQuery, MetricsResponse] = SingleFlightCache(
            settings.cache_bytes, response_bytes
        )
        self._summaries: SingleFlightCache[MetricsQuery, MetricsSummary] = SingleFlightCache(
            _CACHE_SUMMARIES, lambda _: 1
        )
        self._me: SingleFlightCache[str, MeResponse] = SingleFlightCache(1, lambda _: 1)
        self._deployments: SingleFlightCache[str, list[Deployment]] = SingleFlightCache(256, lambda _: 1)
        # Accounts whose server has no per-agent metrics route (a router's 404): remembered for our lifetime.
        self.by_deployment: set[str] = set()
        self._limiter: anyio.CapacityLimiter | None = None
        self._p95s: SingleFlightCache[MetricsQuery, float | None] = SingleFlightCache(_CACHE_SUMMARIES, lambda _: 1)

    async def aclose(self) -> None:
        await self.client.aclose()
        await self.tokens.aclose()

    async def known_accounts(self) -> list[str]:
        """Account slugs to offer as completions: the user's (from `/me`), the login's, then those asked about."""
        me = await self._quickly(self.me())
        mine = [a.name for a in me.accounts] if me is not None else []
        return list(dict.fromkeys([*mine, *self.tokens.accounts(), *sorted(self.agents)]))

    async def known_agents(self, account: str) -> list[str]:
        """Agent names of `account` to offer as completions: registered or deployed, then those asked about."""
        me = await self._quickly(self.me())
        deployed = await self._quickly(self.deployments(account)) if account else None
        registered = [g.name for a in (me.accounts if me else []) if a.name == account for g in a.agents]
        found = [*registered, *(d.name or d.display_name or "" for d in deployed or [])]
        return sorted({*filter(None, found), *self.agents.get(account, set())})

    async def _quickly(self, call: Awaitable[T]) -> T | None:
        """`call`'s value, or None if it fails or takes longer than a completion may wait."""
        with anyio.move_on_after(_COMPLETION_WAIT):
            try:
                return await call
            except AstroError as err:
                logger.info("completion source failed: %s", err)
        return None

    def explain(self, err: AstroError, account: str) -> str:
        """What failed and what to do next, for the model."""
        t = self.tokens
        situation = Situation(t.source, t.accounts(), self.settings.api_url, t.rejection_advice())
        return redact(explain(err, account, situation))

    def resolve(
        self, account: str, name: str, start: str | float | None, end: str | float | None, interval: int | str | None
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
        response = await self._responses.get(query, self._ttl(query), lambda: self._fetch(query))
        self.agents.setdefault(query.account, set()).add(query.name)
        return response

    async def _fetch(self, query: MetricsQuery) -> MetricsResponse:
        """The documented per-agent route; the per-deployment one where a server lacks it (decided per account)."""
        if query.account not in self.by_deployment:
            try:
                return await routes.metrics(self.client, query)
            except RouteNotFoundError as err:
                logger.warning(
                    "%s has no per-agent metrics route (%s): using per-deployment metrics", query.account, err
                )
                self.by_deployment.add(query.account)
        deployment = await self._deployment_of(query.account, query.name)
        granularity = routes.granularity_for(query.interval_minutes)
        return await routes.deployment_metrics(self.client, deployment, query, granularity)

    async def _deployment_of(self, account: str, name: str) -> str:
        """The id of `name`'s active deployment. Raises: NotFoundError: it has none (with an id)."""
        found = next((d for d in await self.deployments(account) if d.serves(name) and d.id), None)
        if found is None or found.id is None:
            raise NotFoundError(404, "agent not deployed", f"no active deployment of '{name}' in '{account}'")
        return found.id

    async def summary(self, query: MetricsQuery) -> MetricsSummary:
        """Fetch and summarize a resolved query; raises `AstroError`."""

        async def compute() -> MetricsSummary:
            response = await self.metrics(query)
            sent = response.interval_minutes if response.buckets else query.interval_minutes
            summary = summarize(query, response.buckets, sent)
            if query.account not in self.by_deployment:
                return summary
            return without_error_counts(summary, "/deployments/{id}/observability/metrics", sent)

        return await self._summaries.get(query, self._ttl(query), compute)

    # --- the fleet: the user's accounts, their agents, and all of an account's agents at once ---

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        """Bounds the upstream requests one fan-out keeps in flight (made on first use: it needs the event loop)."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.settings.max_concurrency)
        return self._limiter

    async def me(self) -> MeResponse:
        """`/me`, kept for a minute; raises `AstroError`."""
        return await self._me.get("me", _FLEET_TTL, lambda: routes.me(self.client))

    async def deployments(self, account: str) -> list[Deployment]:
        """The account's active deployments, kept for a minute; raises `AstroError`."""

        async def fetch() -> list[Deployment]:
            return (await routes.deployments(self.client, account)).deployments

        return await self._deployments.get(account, _FLEET_TTL, fetch)

    async def list_agents(self, account: str | None) -> Fleet:
        """The user's accounts (or one), each with its agents and their deployment status; raises `AstroError`."""
        me = await self.me()
        chosen = [a for a in me.accounts if account is None or a.name == account]
        if account is not None and not chosen:
            chosen = [MeAccount(name=account)]

        async def one(a: MeAccount) -> FleetAccount:
            try:
                async with self.limiter:
                    return await self._account(a)
            except AstroError as err:
                agents = merge_agents([g.name for g in a.agents], [])
                return FleetAccount(name=a.name, type=a.type, role=a.role, agents=agents, error=brief(err))

        return Fleet(accounts=await _gather([one(a) for a in chosen]))

    async def _account(self, a: MeAccount) -> FleetAccount:
        deployed = [
            FleetAgent(
                name=d.name or d.display_name or "",
                deployed=True,
                status=d.status,
                deployment_id=d.id,
                created_at=d.created_at,
            )
            for d in await self.deployments(a.name)
        ]
        agents = merge_agents([g.name for g in a.agents], [d for d in deployed if d.name])
        return FleetAccount(name=a.name, type=a.type, role=a.role, agents=agents)

    async def overview(self, account: str, start: str | float | None, end: str | float | None) -> AccountOverview:
        """Every agent of `account` over one window, fetched concurrently (bounded), worst first; raises `AstroError`.

        One agent's failure is its row; only a failure to list the account's agents fails the whole call.
        """
        base = self.resolve(account, account, start, end, None)  # one clock reading for every agent
        me = await self.me()
        mine = next((a for a in me.accounts if a.name == base.account), MeAccount(name=base.account))
        fleet = await self._account(mine)

        async def one(agent: FleetAgent) -> AgentRow:
            if not agent.deployed:
                return not_deployed_row(agent.name)
            try:
                query = dataclasses.replace(base, agent=AgentRef.checked(base.account, agent.name), notes=())
                async with self.limiter:
                    summary = await self.summary(query)
            except AstroError as err:
                return failed_row(agent.name, brief(err))
            return row_of(agent.name, summary, agent.status)

        rows = await _gather([one(agent) for agent in fleet.agents])
        notes = list(base.notes)
        if base.account in self.by_deployment:
            notes.append(
                "This Astro server serves metrics per deployment only: hour/day buckets, and no error counts "
                "(error rates are not available, not zero)."
            )
        return overview(OverviewWindow(start=base.start, end=base.end), base.account, rows, notes)

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
        response = await routes.traces(self.client, query, max(query.limit, _GROUPED))
        self.agents.setdefault(query.agent.account, set()).add(query.agent.name)
        fetched = trace_analysis.prepare(response.traces)
        mode = self.settings.trace_content
        return trace_text.fitted(
            lambda caps: trace_analysis.answer(query, fetched, response.total, mode, caps),
            query.limit,
            full=mode == "full",
        )


async def _gather(calls: Sequence[Awaitable[T]]) -> list[T]:
    """Await every call concurrently; the results in the calls' order."""
    results: list[T | None] = [None] * len(calls)

    async def run(i: int, call: Awaitable[T]) -> None:
        results[i] = await call

    async with anyio.create_task_group() as tg:
        for i, call in enumerate(calls):
            tg.start_soon(run, i, call)
    return [r for r in results if r is not None]
