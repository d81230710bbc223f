"""The tools: module-level functions of a few lines. Each reads the service from its context and calls one use case.

`astro_errors` is the one place where an `AstroError` becomes a `ToolError` whose message says what
failed and what to do next.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any
from urllib.parse import urlencode

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult, TextContent, ToolAnnotations

from astro_mcp.analysis.results import MetricsSummary
from astro_mcp.domain import rfc3339
from astro_mcp.errors import AstroError
from astro_mcp.render.metrics import render
from astro_mcp.server.args import Account, AgentName, Compare, EndTime, Interval, StartTime
from astro_mcp.server.schema import self_contained
from astro_mcp.service import Service

RAW_TEMPLATE = "astro://agents/{account}/{name}/metrics/raw{?start_time,end_time,interval}"


def service_of(ctx: Context[Service, Any]) -> Service:
    """The service the lifespan holds for the server's lifetime."""
    return ctx.request_context.lifespan_context


@contextmanager
def astro_errors(service: Service, account: str, error: Callable[[str], Exception] = ToolError) -> Iterator[None]:
    """Turn an `AstroError` into `error` (a `ToolError` by default) with advice the model can act on."""
    try:
        yield
    except AstroError as err:
        raise error(service.explain(err, account)) from err


def raw_uri(summary: MetricsSummary) -> str:
    """The raw resource holding every bucket behind a summary."""
    w = summary.window
    query = urlencode({"start_time": rfc3339(w.start), "end_time": rfc3339(w.end), "interval": w.interval_minutes})
    return f"astro://agents/{summary.account}/{summary.name}/metrics/raw?{query}"


async def get_agent_metrics(
    ctx: Context[Service, Any],
    account: Account,
    name: AgentName,
    start_time: StartTime = None,
    end_time: EndTime = None,
    interval: Interval = None,
    compare: Compare = "previous",
) -> Annotated[CallToolResult, MetricsSummary]:
    """Say whether an agent deployed on Astro AI is healthy right now, and whether it is worse than before.

    Returns a status (healthy, degraded, incident, no_traffic) and a one-line headline; the last
    complete period against the typical values; incidents (spike or regression, ongoing or over,
    error and latency symptoms together); the change against an earlier window (traffic, error rate
    with a significance test, latency, tokens per trace); exact totals, error rate and trace-weighted
    mean latency; the trend; idle time; and a table of at most 48 rows. Quote these figures; do not
    re-add the table.

    Use it for "how is agent X doing?", "did errors spike last night?", "is it slower than last
    week?" (compare='week'). To zoom into an incident, call again with a narrower window and a
    smaller interval.
    """
    service = service_of(ctx)
    with astro_errors(service, account):
        summary = await service.summary(service.resolve(account, name, start_time, end_time, interval), compare)
    return CallToolResult(
        content=[TextContent(type="text", text=render(summary, raw_uri(summary)))],
        structured_content=summary.model_dump(mode="json"),
    )


def _tool(fn: Callable[..., Any], title: str) -> Tool:
    """A read-only tool whose output schema every client can read (no `$ref`s)."""
    tool = Tool.from_function(
        fn,
        title=title,
        description=inspect.cleandoc(fn.__doc__ or ""),  # Python < 3.13 keeps the indentation
        annotations=ToolAnnotations(
            title=title, read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True
        ),
    )
    if (schema := tool.fn_metadata.output_schema) is not None:  # derived from the result model by the SDK
        tool.fn_metadata.output_schema = self_contained(schema)
    return tool


def tools() -> list[Tool]:
    """Every tool the server offers, in the order a model should reach for them."""
    return [_tool(get_agent_metrics, "Get agent metrics")]
