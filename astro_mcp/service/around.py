"""What the platform knows around an agent besides its metrics: its deploys, alerts, infrastructure events,
restarts, and one trace's steps. Part of the `Upstream`: each route is optional (`RouteMap.optional`), so a
server without it gives None ("not available on this server") and is not asked again.

The deploys, alerts, events and restarts describe the agent as it is now, whatever window is asked: they are
kept for the live cache's TTL, so the metrics of several windows of one agent, or an overview and the metrics
of one of its agents, ask for them once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from astro_mcp.api import generation, platform_routes
from astro_mcp.api.cache import SingleFlightCache
from astro_mcp.api.client import AstroClient
from astro_mcp.api.platform_wire import Alerts, DeployHistory, InfraEvents, Runtime, TraceDetail
from astro_mcp.api.routes import TRACES_BYTES
from astro_mcp.domain import AgentRef

T = TypeVar("T")
DeploymentOf = Callable[[str, str, float | None], Awaitable[str]]
_KEPT = 2048  # (route, agent) answers kept: a few per agent of the largest accounts


class Around:
    """The optional routes around one agent's deployment, each None where the server does not have it.

    Every method raises `AstroError` when the route exists and failed (a missing deployment included).
    """

    def __init__(
        self, client: AstroClient, routes: generation.RouteMap, deployment_of: DeploymentOf, ttl: float
    ) -> None:
        self._client = client
        self._routes = routes
        self._deployment_of = deployment_of
        self._ttl = ttl
        self._now: SingleFlightCache[tuple[str, AgentRef], Any] = SingleFlightCache(_KEPT, lambda _: 1)

    async def _per_deployment(
        self,
        template: str,
        agent: AgentRef,
        fetch: Callable[[AstroClient, str, float | None], Awaitable[T]],
        deadline: float | None,
        *,
        kept: bool = False,
    ) -> T | None:
        """`fetch` for the agent's deployment, None where the server lacks the route; `kept`: for the live-cache TTL."""

        async def call() -> T:
            deployment = await self._deployment_of(agent.account, agent.name, deadline)
            return await fetch(self._client, deployment, deadline)

        async def ask() -> T | None:
            return await self._routes.optional(template, call)

        return await self._kept(template, agent, ask) if kept else await ask()

    async def _kept(self, template: str, agent: AgentRef, fetch: Callable[[], Awaitable[T | None]]) -> T | None:
        """What the agent's route says now, asked once per live-cache TTL."""
        return cast("T | None", await self._now.get((template, agent), self._ttl, fetch))

    async def history(self, agent: AgentRef, deadline: float | None = None) -> DeployHistory | None:
        """The agent's deploys and rollbacks over time."""

        async def fetch() -> DeployHistory | None:
            return await self._routes.optional(
                generation.DEPLOY_HISTORY, lambda: platform_routes.history(self._client, agent, deadline)
            )

        return await self._kept(generation.DEPLOY_HISTORY, agent, fetch)

    async def alerts(self, agent: AgentRef, deadline: float | None = None) -> Alerts | None:
        """The alerts of the agent's deployment, whatever their state."""
        return await self._per_deployment(generation.ALERTS, agent, platform_routes.alerts, deadline, kept=True)

    async def events(self, agent: AgentRef, deadline: float | None = None) -> InfraEvents | None:
        """The Kubernetes events of the agent's deployment, with the platform's guidance."""
        return await self._per_deployment(generation.EVENTS, agent, platform_routes.events, deadline, kept=True)

    async def runtime(self, agent: AgentRef, deadline: float | None = None) -> Runtime | None:
        """The pods of the agent's deployment and their restarts."""
        return await self._per_deployment(generation.RUNTIME, agent, platform_routes.runtime, deadline, kept=True)

    async def shows_steps(self) -> bool:
        """Whether the server may show a trace's steps: False once it is known not to."""
        return await self._routes.serves(generation.TRACE_DETAIL) is not False

    async def trace(
        self, agent: AgentRef, trace_id: str, deadline: float | None = None, max_bytes: int = TRACES_BYTES
    ) -> TraceDetail | None:
        """One trace with its observations (steps); `ResponseTooLargeError` past `max_bytes`."""

        async def fetch(client: AstroClient, deployment: str, deadline: float | None) -> TraceDetail:
            return await platform_routes.trace(client, deployment, trace_id, deadline, max_bytes)

        return await self._per_deployment(generation.TRACE_DETAIL, agent, fetch, deadline)
