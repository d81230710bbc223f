"""The newer servers' routes: each builds its path and parameters and names the wire model it expects."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from astro_mcp.api.bounded import Shape
from astro_mcp.api.client import AstroClient
from astro_mcp.api.platform_wire import (
    AccountSummary,
    Alerts,
    DeployHistory,
    DeploymentsSummary,
    InfraEvents,
    Runtime,
    TraceDetail,
)
from astro_mcp.api.routes import TRACE_CHARS, TRACES_BYTES, agent_route
from astro_mcp.api.wire import SummaryResponse, TracesResponse
from astro_mcp.domain import AgentRef, rfc3339


def _deployment(deployment_id: str, leaf: str) -> str:
    return f"/deployments/{quote(deployment_id, safe='')}/{leaf}"


def _account(account: str, leaf: str) -> str:
    return f"/accounts/{quote(account, safe='')}/observability/{leaf}"


def _window(start: datetime, end: datetime) -> dict[str, str]:
    return {"start_time": rfc3339(start), "end_time": rfc3339(end)}


async def history(client: AstroClient, agent: AgentRef, deadline: float | None = None) -> DeployHistory:
    """`GET /agents/{account}/{name}/deployment/history`: the agent's deployments over time."""
    return await client.get(agent_route(agent, "deployment/history"), {}, DeployHistory, deadline=deadline)


async def alerts(client: AstroClient, deployment_id: str, deadline: float | None = None) -> Alerts:
    """`GET /deployments/{id}/alerts`."""
    return await client.get(_deployment(deployment_id, "alerts"), {}, Alerts, deadline=deadline)


async def events(client: AstroClient, deployment_id: str, deadline: float | None = None) -> InfraEvents:
    """`GET /deployments/{id}/events`: Kubernetes events, with the platform's guidance."""
    return await client.get(_deployment(deployment_id, "events"), {}, InfraEvents, deadline=deadline)


async def runtime(client: AstroClient, deployment_id: str, deadline: float | None = None) -> Runtime:
    """`GET /deployments/{id}/runtime`: pods and restarts."""
    return await client.get(_deployment(deployment_id, "runtime"), {}, Runtime, deadline=deadline)


async def summary(client: AstroClient, deployment_id: str, start: datetime, end: datetime) -> SummaryResponse:
    """`GET /deployments/{id}/observability/summary`."""
    return await client.get(_deployment(deployment_id, "observability/summary"), _window(start, end), SummaryResponse)


async def traces(
    client: AstroClient, deployment_id: str, start: datetime, end: datetime, limit: int, offset: int
) -> TracesResponse:
    """`GET /deployments/{id}/observability/traces`: one page, every status (this route has no filter)."""
    params = {**_window(start, end), "limit": str(limit), "offset": str(offset)}
    shape = Shape(max_bytes=TRACES_BYTES, items="traces", max_items=limit, max_chars=TRACE_CHARS)
    return await client.get(_deployment(deployment_id, "observability/traces"), params, TracesResponse, shape=shape)


async def trace(
    client: AstroClient,
    deployment_id: str,
    trace_id: str,
    deadline: float | None = None,
    max_bytes: int = TRACES_BYTES,
) -> TraceDetail:
    """`GET /deployments/{id}/observability/traces/{traceId}`: the trace with its observations."""
    route = _deployment(deployment_id, f"observability/traces/{quote(trace_id, safe='')}")
    shape = Shape(max_bytes=max_bytes, max_chars=TRACE_CHARS)
    return await client.get(route, {}, TraceDetail, shape=shape, deadline=deadline)


async def account_summary(client: AstroClient, account: str, start: datetime, end: datetime) -> AccountSummary:
    """`GET /accounts/{a}/observability/summary?from&to`: cost and its change against the period before."""
    params = {"from": rfc3339(start), "to": rfc3339(end)}
    return await client.get(_account(account, "summary"), params, AccountSummary)


async def deployments_summary(
    client: AstroClient, account: str, start: datetime, end: datetime, deadline: float | None = None
) -> DeploymentsSummary:
    """`GET /accounts/{a}/observability/deployments-summary?from&to`: requests and cost per deployment."""
    params = {"from": rfc3339(start), "to": rfc3339(end)}
    return await client.get(_account(account, "deployments-summary"), params, DeploymentsSummary, deadline=deadline)
