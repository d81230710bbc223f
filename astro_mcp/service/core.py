"""What every use case shares (the API client, one cache policy, one clock reading per call), and one agent's metrics.

The server's tools, resources and prompts call the use cases and nothing below them.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Literal, TypeVar

import anyio
import httpx2

from astro_mcp.advice import Situation, explain
from astro_mcp.analysis.compare import Mode, Reference, reference_window
from astro_mcp.analysis.coverage import without_error_counts
from astro_mcp.analysis.query import resolve_query
from astro_mcp.analysis.results import MetricsSummary
from astro_mcp.analysis.summarize import summarize
from astro_mcp.api import routes
from astro_mcp.api.cache import SingleFlightCache
from astro_mcp.api.client import AstroClient
from astro_mcp.api.credentials import TokenSource
from astro_mcp.api.wire import Deployment, MeResponse, MetricsResponse
from astro_mcp.config import Settings
from astro_mcp.domain import Bucket, MetricsQuery
from astro_mcp.errors import AstroError, NotFoundError, RouteNotFoundError
from astro_mcp.redaction import redact

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
# What a parsed bucket takes in memory (measured with tracemalloc: some 480 bytes), with headroom. The wire
# models bound every field of a bucket and ignore everything else, so this is the real size of an answer.
BUCKET_BYTES = 512
_CACHE_SUMMARIES = 1024
_FLEET_TTL = 60.0  # accounts and deployments change rarely; a minute keeps completions and fan-outs cheap
_COMPLETION_WAIT = 2.0  # a completion is typed live: it never waits on the API longer than this
T = TypeVar("T")


# Set while an account's agents are fetched at once: the bound on the requests that fan-out keeps in flight.
_FAN_OUT: ContextVar[anyio.CapacityLimiter | None] = ContextVar("astro_mcp_fan_out", default=None)


def sent_interval(query: MetricsQuery, response: MetricsResponse) -> int:
    """The buckets' width: what the API says, unless it sent none (it then says 60 whatever was asked)."""
    return response.interval_minutes if response.buckets else query.interval_minutes


def response_bytes(response: MetricsResponse) -> int:
    """The memory an answer holds, for the cache's byte cap."""
    return (len(response.buckets) + 1) * BUCKET_BYTES


class Core:
    """What every use case shares for the server's lifetime: the API client, the caches, the agents seen."""

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
        # Keyed by the comparison too: "adjacent" is the overview's, the window just before in the same request.
        self.summaries: SingleFlightCache[tuple[MetricsQuery, Mode | Literal["adjacent"], bool], MetricsSummary] = (
            SingleFlightCache(_CACHE_SUMMARIES, lambda _: 1)
        )
        self._me: SingleFlightCache[str, MeResponse] = SingleFlightCache(1, lambda _: 1)
        self._deployments: SingleFlightCache[str, list[Deployment]] = SingleFlightCache(256, lambda _: 1)
        # Accounts whose server has no per-agent metrics route (a router's 404): remembered for our lifetime.
        self.by_deployment: set[str] = set()
        self._limiter: anyio.CapacityLimiter | None = None

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

    @contextmanager
    def fanned_out(self) -> Iterator[None]:
        """Within the block, every metrics request waits for a place under the fan-out bound (max_concurrency)."""
        token = _FAN_OUT.set(self.limiter)
        try:
            yield
        finally:
            _FAN_OUT.reset(token)

    async def _fetch(self, query: MetricsQuery) -> MetricsResponse:
        limiter = _FAN_OUT.get()
        if limiter is None:
            return await self._fetch_route(query)
        async with limiter:
            return await self._fetch_route(query)

    async def _fetch_route(self, query: MetricsQuery) -> MetricsResponse:
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

    async def _p95_latency(self, query: MetricsQuery) -> float | None:
        """The window's p95 latency from the summary endpoint; None, logged, if that fails in any way.

        The metrics answer must not depend on this second endpoint: an older server may lack it. Not
        cached on its own: the summary that carries it is.
        """
        try:
            response = await routes.summary(self.client, query)
        except AstroError as err:
            logger.info("p95 not available for %s: %s", query.agent, err)
            return None
        return response.metrics.p95_latency_ms

    async def summary(
        self, query: MetricsQuery, compare: Mode = "previous", *, with_p95: bool = True
    ) -> MetricsSummary:
        """The window, the one to compare it with and its p95, fetched concurrently, then summarized.

        Only the window itself can fail the call (`AstroError`): a failed comparison leaves a note, and
        a p95 the API cannot give reads "not available".
        """

        async def compute() -> MetricsSummary:
            response, reference, p95, notes = await self._fetch_together(query, compare, with_p95)
            main = dataclasses.replace(query, notes=(*query.notes, *notes))
            summary = self.summarized(main, response.buckets, sent_interval(query, response), reference)
            return summary.model_copy(update={"p95_latency_ms": p95})

        return await self.summaries.get((query, compare, with_p95), self._ttl(query), compute)

    def summarized(
        self, query: MetricsQuery, buckets: Sequence[Bucket], sent: int, reference: Reference | None
    ) -> MetricsSummary:
        """`summarize`, then the error figures taken out where the per-deployment route answered."""
        summary = summarize(query, buckets, sent, reference)
        if query.account not in self.by_deployment:
            return summary
        return without_error_counts(summary, "/deployments/{id}/observability/metrics", sent)

    async def _fetch_together(
        self, query: MetricsQuery, compare: Mode, with_p95: bool
    ) -> tuple[MetricsResponse, Reference | None, float | None, list[str]]:
        earlier = reference_window(query, compare)
        responses: list[MetricsResponse] = []
        references: list[Reference] = []
        p95s: list[float | None] = []
        notes: list[str] = []
        failures: list[AstroError] = []

        async def fetch_main() -> None:
            try:
                responses.append(await self.metrics(query))
            except AstroError as err:  # raised below, unwrapped: a task group would wrap it in a group
                failures.append(err)
                tg.cancel_scope.cancel()

        async def fetch_reference(label: str, start: datetime, end: datetime) -> None:
            try:
                got = await self.metrics(MetricsQuery(query.agent, start, end, query.interval_minutes))
            except AstroError as err:
                notes.append(f"No comparison with {label}: {err}")
                return
            sent = sent_interval(query, got)
            references.append(Reference(label, start, end, got.buckets, sent, contiguous=compare == "previous"))

        async def fetch_p95() -> None:
            p95s.append(await self._p95_latency(query))

        async with anyio.create_task_group() as tg:
            tg.start_soon(fetch_main)
            if earlier is not None:
                tg.start_soon(fetch_reference, *earlier)
            if with_p95:
                tg.start_soon(fetch_p95)
        if failures:
            raise failures[0]
        return responses[0], next(iter(references), None), next(iter(p95s), None), notes
