"""Resource templates: the summary and the raw buckets, addressable by URI for clients that read resources."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from pydantic import BaseModel

from astro_mcp.errors import AstroError, NotFoundError, QueryError, RouteNotFoundError
from astro_mcp.redaction import for_model_all
from astro_mcp.server.calls import astro_errors
from astro_mcp.server.state import AppState, service_of

if TYPE_CHECKING:
    from astro_mcp.domain import MetricsQuery
    from astro_mcp.service import Service

TEMPLATE = "astro://agents/{account}/{name}/metrics{?start_time,end_time,interval}"
RAW_TEMPLATE = "astro://agents/{account}/{name}/metrics/raw{?start_time,end_time,interval}"
TEMPLATES = (TEMPLATE, RAW_TEMPLATE)


def resource_error(advice: str, err: AstroError) -> ResourceError:
    """A client's mistake (a bad argument, an agent Astro does not know) is "not found": -32602, not -32603."""
    mistake = isinstance(err, QueryError | NotFoundError) and not isinstance(err, RouteNotFoundError)
    return ResourceNotFoundError(advice) if mistake else ResourceError(advice)


async def _read(
    ctx: Context[AppState, Any],
    use_case: Callable[[Service, MetricsQuery], Awaitable[BaseModel]],
    account: str,
    name: str,
    window: tuple[str | None, str | None, str | None],
) -> str:
    """One use case's result for the agent and window a URI names, as JSON; failures as `resource_error` advice."""
    service = service_of(ctx)
    with astro_errors(service, account, resource_error):
        result = await use_case(service, service.read.metrics(account, name, *window))
    return for_model_all(result).model_dump_json()  # the policy every tool answer follows (`render.answer`)


async def agent_metrics(
    account: str,
    name: str,
    ctx: Context[AppState, Any],
    start_time: str | None = None,
    end_time: str | None = None,
    interval: str | None = None,
) -> str:
    """The summary get_agent_metrics gives, as JSON (default window: the last 24 hours)."""
    return await _read(ctx, lambda s, q: s.metrics.summary(q), account, name, (start_time, end_time, interval))


async def agent_metrics_raw(
    account: str,
    name: str,
    ctx: Context[AppState, Any],
    start_time: str | None = None,
    end_time: str | None = None,
    interval: str | None = None,
) -> str:
    """Every bucket as the Astro API returned it (buckets with no traces are left out), as JSON."""
    return await _read(ctx, lambda s, q: s.metrics.raw(q), account, name, (start_time, end_time, interval))


def register(mcp: MCPServer[AppState]) -> None:
    mime = "application/json"
    mcp.resource(TEMPLATE, name="agent_metrics", title="Agent metrics summary", mime_type=mime)(agent_metrics)
    mcp.resource(RAW_TEMPLATE, name="agent_metrics_raw", title="Agent metrics, raw", mime_type=mime)(agent_metrics_raw)
