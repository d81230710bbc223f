"""The Astro API's endpoints: each builds its route and parameters and names the wire model it expects."""

from __future__ import annotations

from urllib.parse import quote

from astro_mcp.api.client import AstroClient
from astro_mcp.api.wire import MeResponse, MetricsResponse
from astro_mcp.domain import AgentRef, MetricsQuery, rfc3339


def agent_route(agent: AgentRef, leaf: str) -> str:
    """`/agents/{account}/{name}/{leaf}`, each slug encoded as one path segment."""
    return f"/agents/{quote(agent.account, safe='')}/{quote(agent.name, safe='')}/{leaf}"


async def metrics(client: AstroClient, query: MetricsQuery) -> MetricsResponse:
    """`GET /agents/{account}/{name}/observability/metrics` for a resolved query."""
    params = {
        "start_time": rfc3339(query.start),
        "end_time": rfc3339(query.end),
        "interval": str(query.interval_minutes),
    }
    return await client.get(agent_route(query.agent, "observability/metrics"), params, MetricsResponse)


async def me(client: AstroClient) -> MeResponse:
    """`GET /me`: the signed-in user and their accounts."""
    return await client.get("/me", {}, MeResponse)
