"""The Astro API's endpoints: each builds its route and parameters and names the wire model it expects."""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from astro_mcp.api.client import AstroClient
from astro_mcp.api.wire import DeploymentsResponse, MeResponse, MetricsResponse, SummaryResponse, TracesResponse
from astro_mcp.domain import AgentRef, MetricsQuery, TracesQuery, rfc3339

Granularity = Literal["hour", "day", "week", "month"]
GRANULARITY_MINUTES: dict[Granularity, int] = {"hour": 60, "day": 1440, "week": 10080, "month": 43200}


def agent_route(agent: AgentRef, leaf: str) -> str:
    """`/agents/{account}/{name}/{leaf}`, each slug encoded as one path segment."""
    return f"/agents/{quote(agent.account, safe='')}/{quote(agent.name, safe='')}/{leaf}"


def _window(query: MetricsQuery) -> dict[str, str]:
    return {"start_time": rfc3339(query.start), "end_time": rfc3339(query.end)}


async def metrics(client: AstroClient, query: MetricsQuery) -> MetricsResponse:
    """`GET /agents/{account}/{name}/observability/metrics` for a resolved query."""
    params = {**_window(query), "interval": str(query.interval_minutes)}
    return await client.get(agent_route(query.agent, "observability/metrics"), params, MetricsResponse)


async def me(client: AstroClient) -> MeResponse:
    """`GET /me`: the signed-in user's accounts, with the user's role and the agents of each."""
    return await client.get("/me", {}, MeResponse)


async def deployments(client: AstroClient, account: str) -> DeploymentsResponse:
    """`GET /deployments?account=`: the account's active deployments."""
    return await client.get("/deployments", {"account": account}, DeploymentsResponse)


async def deployment_metrics(
    client: AstroClient, deployment_id: str, query: MetricsQuery, granularity: Granularity
) -> MetricsResponse:
    """`GET /deployments/{id}/observability/metrics`, the newer servers' route (no `interval`, a granularity)."""
    route = f"/deployments/{quote(deployment_id, safe='')}/observability/metrics"
    return await client.get(route, {**_window(query), "granularity": granularity}, MetricsResponse)


def granularity_for(interval_minutes: int) -> Granularity:
    """The granularity nearest to an interval, by ratio (15 minutes -> hour, 6 hours -> day)."""
    return min(
        GRANULARITY_MINUTES,
        key=lambda g: max(interval_minutes, GRANULARITY_MINUTES[g]) / min(interval_minutes, GRANULARITY_MINUTES[g]),
    )


async def summary(client: AstroClient, query: MetricsQuery) -> SummaryResponse:
    """`GET /agents/{account}/{name}/observability/summary` for the window of a resolved query."""
    params = {"start_time": rfc3339(query.start), "end_time": rfc3339(query.end)}
    return await client.get(agent_route(query.agent, "observability/summary"), params, SummaryResponse)


async def traces(client: AstroClient, query: TracesQuery, limit: int) -> TracesResponse:
    """`GET /agents/{account}/{name}/observability/traces`: `limit` traces from the query's offset."""
    params = {
        "start_time": rfc3339(query.start),
        "end_time": rfc3339(query.end),
        "limit": str(limit),
        "offset": str(query.offset),
    }
    if query.status != "all":
        params["status"] = query.status
    return await client.get(agent_route(query.agent, "observability/traces"), params, TracesResponse)
