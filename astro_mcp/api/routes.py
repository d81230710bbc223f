"""The Astro API's endpoints: each builds its route and parameters and names the wire model it expects."""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import quote

from astro_mcp.api.bounded import Shape
from astro_mcp.api.client import AstroClient
from astro_mcp.api.wire import DeploymentsResponse, MeResponse, MetricsResponse, SummaryResponse, TracesResponse
from astro_mcp.domain import AgentRef, MetricsQuery, TracesQuery, rfc3339
from astro_mcp.errors import InvalidResponseError, ResponseTooLargeError
from astro_mcp.redaction import upstream_text

Granularity = Literal["hour", "day", "week", "month"]
_MB = 1 << 20
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
# Per-route bounds: what a real answer needs, with room to spare. Lists longer than this break the contract.
_ME = Shape(max_bytes=4 * _MB, items="accounts", max_items=1000)
_DEPLOYMENTS = Shape(max_bytes=4 * _MB, items="deployments", max_items=5000)
_SUMMARY = Shape(max_bytes=_MB)
TRACES_BYTES = 16 * _MB
TRACE_CHARS = 100_000  # of one trace's input or output as read: far more than any answer shows
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
    return await client.get("/me", {}, MeResponse, shape=_ME)


async def deployments(client: AstroClient, account: str) -> DeploymentsResponse:
    """`GET /deployments?account=`: the account's active deployments."""
    return await client.get("/deployments", {"account": account}, DeploymentsResponse, shape=_DEPLOYMENTS)


async def deployment_metrics(
    client: AstroClient, deployment_id: str, query: MetricsQuery, granularity: Granularity
) -> MetricsResponse:
    """`GET /deployments/{id}/observability/metrics`, the newer servers' route (no `interval`, a granularity)."""
    route = f"/deployments/{_plain_id(deployment_id)}/observability/metrics"
    return await client.get(route, {**_window(query), "granularity": granularity}, MetricsResponse)


def _plain_id(deployment_id: str) -> str:
    """A deployment id from the API, as one path segment. Raises: QueryError: it is not a plain id (`..`, say)."""
    if not _ID.fullmatch(deployment_id) or set(deployment_id) == {"."}:
        raise InvalidResponseError(
            f"the Astro API gave a deployment id that is not a plain id: {upstream_text(deployment_id, 80)!r}"
        )
    return quote(deployment_id, safe="")


def granularity_for(interval_minutes: int) -> Granularity:
    """The granularity nearest to an interval, by ratio (15 minutes -> hour, 6 hours -> day)."""
    return min(
        GRANULARITY_MINUTES,
        key=lambda g: max(interval_minutes, GRANULARITY_MINUTES[g]) / min(interval_minutes, GRANULARITY_MINUTES[g]),
    )


async def summary(client: AstroClient, query: MetricsQuery) -> SummaryResponse:
    """`GET /agents/{account}/{name}/observability/summary` for the window of a resolved query."""
    params = {"start_time": rfc3339(query.start), "end_time": rfc3339(query.end)}
    return await client.get(agent_route(query.agent, "observability/summary"), params, SummaryResponse, shape=_SUMMARY)


async def traces(client: AstroClient, query: TracesQuery, limit: int) -> tuple[TracesResponse, str | None]:
    """`GET /agents/{account}/{name}/observability/traces`: at most `limit` traces from the query's offset.

    A page larger than the route's bound is asked for again with half the rows, until one fits: the note
    returned then says so. Rows beyond `limit` are not read, nor strings beyond `TRACE_CHARS`.
    """
    rows = limit
    while True:
        params = {
            "start_time": rfc3339(query.start),
            "end_time": rfc3339(query.end),
            "limit": str(rows),
            "offset": str(query.offset),
        }
        if query.status != "all":
            params["status"] = query.status
        shape = Shape(max_bytes=TRACES_BYTES, items="traces", max_items=rows, max_chars=TRACE_CHARS)
        try:
            page = await client.get(
                agent_route(query.agent, "observability/traces"), params, TracesResponse, shape=shape
            )
        except ResponseTooLargeError:
            if rows == 1:
                raise
            rows //= 2
            continue
        if rows == limit:
            return page, None
        return page, (
            f"A page of {limit} traces was larger than {TRACES_BYTES // _MB} MB (very long inputs or outputs), "
            f"so {rows} were asked for instead; page on with offset to see more."
        )
