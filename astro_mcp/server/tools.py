"""The tools: module-level functions of a few lines. Each reads the service from its context and calls one use case.

`astro_errors` is the one place where an `AstroError` becomes a `ToolError` whose message says what
failed and what to do next.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from functools import cached_property
from typing import Annotated, Any, cast, get_type_hints
from urllib.parse import urlencode

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field, ValidationError

from astro_mcp.analysis.fleet import Fleet
from astro_mcp.analysis.overview import AccountOverview
from astro_mcp.analysis.results import MetricsSummary
from astro_mcp.analysis.trace_results import TracesAnswer
from astro_mcp.domain import rfc3339
from astro_mcp.errors import AstroError
from astro_mcp.render import agents as agents_text
from astro_mcp.render import overview as overview_text
from astro_mcp.render.metrics import fitted
from astro_mcp.server.app import VIEW_META
from astro_mcp.server.args import (
    Account,
    AgentName,
    AnyAccount,
    Compare,
    EndTime,
    Interval,
    StartTime,
    TraceLimit,
    TraceOffset,
    TraceStatusArg,
    explain_invalid,
)
from astro_mcp.server.logs import forwarded
from astro_mcp.server.schema import self_contained
from astro_mcp.server.state import AppState, state_of
from astro_mcp.service import Service

RAW_TEMPLATE = "astro://agents/{account}/{name}/metrics/raw{?start_time,end_time,interval}"


def tool_error(advice: str, _: AstroError) -> Exception:
    return ToolError(advice)


@contextmanager
def astro_errors(
    service: Service, account: str, error: Callable[[str, AstroError], Exception] = tool_error
) -> Iterator[None]:
    """Turn an `AstroError` into `error(advice, err)` (a `ToolError` by default): advice the model can act on."""
    try:
        yield
    except AstroError as err:
        raise error(service.explain(err, account), err) from err


@asynccontextmanager
async def answering(ctx: Context[AppState, Any], account: str) -> AsyncIterator[Service]:
    """What every tool runs in: its failures become advice, and what it logged reaches the client's operator."""
    state = state_of(ctx)
    async with forwarded(ctx, state.log_levels):
        with astro_errors(state.service, account):
            yield state.service


def raw_uri(summary: MetricsSummary) -> str:
    """The raw resource holding every bucket behind a summary."""
    w = summary.window
    query = urlencode({"start_time": rfc3339(w.start), "end_time": rfc3339(w.end), "interval": w.interval_minutes})
    return f"astro://agents/{summary.account}/{summary.name}/metrics/raw?{query}"


async def get_agent_metrics(
    ctx: Context[AppState, Any],
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
    mean latency; the trend; idle time; and a table of at most 40 rows. Quote these figures; do not
    re-add the table.

    Use it for one agent: "how is agent X doing?", "did errors spike last night?", "is it slower than
    last week?" (compare='week'); for all of an account's agents at once, get_account_overview. For
    what failed in an incident, call get_agent_traces with the incident's traces_call; to zoom into
    it, call again with a narrower window and a smaller interval.
    """
    async with answering(ctx, account) as service:
        summary = await service.summary(service.resolve(account, name, start_time, end_time, interval), compare)
    text, structured = fitted(summary, raw_uri(summary))
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=structured)


async def get_agent_traces(
    ctx: Context[AppState, Any],
    account: Account,
    name: AgentName,
    start_time: StartTime = None,
    end_time: EndTime = None,
    status: TraceStatusArg = "error",
    limit: TraceLimit = 10,
    offset: TraceOffset = 0,
) -> Annotated[CallToolResult, TracesAnswer]:
    """Show what an agent deployed on Astro AI actually did: its traces, newest first (errors by default).

    Use it after get_agent_metrics to answer "what failed?": each anomaly there comes with the
    arguments for this call. Returns, per trace, its time, id, operation name, latency, and its input
    and output (shortened); the total that matched; and the traces grouped by operation, with a
    count and time range each ("8 of 10 errors were lookup_order"). Quote the groups rather than
    counting the list. Page with offset=next_offset.
    """
    async with answering(ctx, account) as service:
        answer, text = await service.traces(
            service.resolve_traces(account, name, start_time, end_time, status, limit, offset)
        )
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=answer.model_dump(mode="json")
    )


async def list_agents(ctx: Context[AppState, Any], account: AnyAccount = None) -> Annotated[CallToolResult, Fleet]:
    """List the signed-in user's Astro accounts (with the user's role) and each account's agents.

    Says for each agent whether it is deployed (Running, Pending, Stopped) or only registered. Call it
    first when the account or agent names are not known, then get_account_overview for an account.
    """
    async with answering(ctx, account or "") as service:
        fleet = await service.list_agents(account.strip() if account else None)
    return CallToolResult(
        content=[TextContent(type="text", text=agents_text.render(fleet))],
        structured_content=fleet.model_dump(mode="json"),
    )


async def get_account_overview(
    ctx: Context[AppState, Any], account: Account, start_time: StartTime = None, end_time: EndTime = None
) -> Annotated[CallToolResult, AccountOverview]:
    """How every agent of an Astro account is doing, in one call: start here for "how are my agents doing?".

    One row per deployed agent, worst first: status (incident, failed, degraded, no_traffic, healthy,
    not_deployed), traces, error rate, mean latency, the change against the window before, and one line
    on why it needs attention. An agent whose metrics could not be read is a row that says why. Default
    window: the last 24 hours, started on a whole bucket (an hour). Then call get_agent_metrics, with
    the window the answer gives, for an agent that needs attention.
    """
    async with answering(ctx, account) as service:
        result = await service.overview(account, start_time, end_time)
    return CallToolResult(
        content=[TextContent(type="text", text=overview_text.render(result))],
        structured_content=result.model_dump(mode="json"),
    )


class CheckedTool(Tool):
    """A tool whose argument refusals speak our language, not pydantic's, and whose output schema is lazy."""

    result_model: type[BaseModel] | None = Field(default=None, exclude=True)

    @cached_property
    def output_schema(self) -> dict[str, Any] | None:
        """The result model's schema, made when the tools are first listed (pydantic takes tens of ms for four)."""
        return None if self.result_model is None else self_contained(self.result_model.model_json_schema())

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        try:
            self.fn_metadata.validate_arguments(arguments)
        except ValidationError as err:
            raise ToolError(explain_invalid(err, self.parameters)) from err
        return await super().run(arguments, context, convert_result)


def _tool(fn: Callable[..., Any], title: str, meta: dict[str, Any] | None = None) -> Tool:
    """A read-only tool whose output schema, made from the model its return annotation names, has no `$ref`s."""
    tool = cast(
        CheckedTool,
        CheckedTool.from_function(  # a classmethod of Tool: it makes a CheckedTool
            fn,
            title=title,
            meta=meta,
            description=inspect.cleandoc(fn.__doc__ or ""),  # Python < 3.13 keeps the indentation
            annotations=ToolAnnotations(
                title=title, read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True
            ),
            structured_output=False,  # the schema is made on first listing, below: not at start-up
        ),
    )
    (tool.result_model,) = get_type_hints(fn, include_extras=True)["return"].__metadata__
    return tool


def tools() -> list[Tool]:
    """Every tool the server offers, in the order a model should reach for them."""
    return [
        _tool(list_agents, "List my agents"),
        _tool(get_account_overview, "Account overview", VIEW_META),
        _tool(get_agent_metrics, "Get agent metrics", VIEW_META),
        _tool(get_agent_traces, "Get agent traces"),
    ]
