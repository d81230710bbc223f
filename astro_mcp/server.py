"""The MCP server: the `get_agent_metrics` tool, its resource templates, a prompt and completions.

Tools stay thin: resolve the query (`query.py`), fetch (`client.py`), summarize (`summarize.py`),
render (`render.py`). Every failure the model can act on becomes a `ToolError` whose message says
what went wrong and what to do next (`explain`).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import httpx2
from mcp.server import MCPServer
from mcp.server.mcpserver import Message, UserMessage
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import (
    CallToolResult,
    Completion,
    CompletionArgument,
    CompletionContext,
    PromptReference,
    ResourceTemplateReference,
    TextContent,
    ToolAnnotations,
)
from pydantic import Field
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from astro_mcp import __version__
from astro_mcp.cache import SingleFlightCache
from astro_mcp.client import AstroClient
from astro_mcp.config import Settings
from astro_mcp.credentials import HOW_TO_LOG_IN, TokenSource
from astro_mcp.errors import (
    ApiError,
    AstroError,
    ConnectionFailedError,
    ForbiddenError,
    InvalidResponseError,
    MissingTokenError,
    NotConfiguredError,
    NotFoundError,
    QueryError,
    RateLimitedError,
    RequestTimeoutError,
    UnauthorizedError,
)
from astro_mcp.http import AUTH, StaticTokenVerifier
from astro_mcp.models import MetricsResponse
from astro_mcp.query import SLUG_PATTERN, MetricsQuery, resolve_query, rfc3339
from astro_mcp.render import render
from astro_mcp.schema import self_contained
from astro_mcp.summarize import MetricsSummary, summarize

logger = logging.getLogger(__name__)

INSTRUCTIONS = """\
Reads the production metrics of agents deployed on Astro AI. Call get_agent_metrics with the agent's \
account slug and name; by default it covers the last 24 hours. Its answer is already computed from \
every bucket: exact totals, error rate, trace-weighted latency, the worst periods, anomalies, the trend \
and idle time. Quote those figures rather than re-deriving them from the table. To look into an \
anomaly, call it again with a narrower window around it (start_time, end_time) and a smaller interval; \
for a trend, widen the window (start_time='7d'). Times are UTC.\
"""

TEMPLATE = "astro://agents/{account}/{name}/metrics{?start_time,end_time,interval}"
RAW_TEMPLATE = "astro://agents/{account}/{name}/metrics/raw{?start_time,end_time,interval}"


def _slug(description: str, example: str) -> Any:
    # The pattern is published for clients; query.check_slug enforces it with a message a model can act on.
    return Field(
        description=description, examples=[example], json_schema_extra={"pattern": SLUG_PATTERN, "maxLength": 64}
    )


Account = Annotated[
    str,
    _slug(
        "Account slug of the agent's owner on Astro AI, e.g. 'astro-team' (lowercase, digits, '-', '_').", "astro-team"
    ),
]
AgentName = Annotated[str, _slug("The agent's name within the account, e.g. 'weather-agent'.", "weather-agent")]
StartTime = Annotated[
    str | None,
    Field(
        description="Start of the window. RFC 3339 ('2026-11-24T09:00:00Z' or with an offset; without an offset "
        "it is UTC), 'now', a relative time ('now-15m', 'now-6h', 'now-7d', 'now-2w'), or a duration before "
        "end_time ('24h', '7d'). Default: 24 hours before end_time.",
        examples=["now-24h", "7d", "2026-11-24T09:00:00Z"],
    ),
]
EndTime = Annotated[
    str | None,
    Field(
        description="End of the window: RFC 3339, 'now' or a relative time such as 'now-1h'. Default: now.",
        examples=["now", "now-1d", "2026-11-25T00:00:00Z"],
    ),
]
Interval = Annotated[
    int | str | None,
    Field(
        description="Bucket size in minutes: 60, '15m', '1h' or '1d'. Default: a round size giving at most "
        "about 36 buckets (60 for a 24-hour window).",
        examples=[60, "15m", "1h"],
    ),
]
Window = Literal["1h", "6h", "24h", "7d", "30d"]
_PREVIOUS = {"1h": "2h", "6h": "12h", "24h": "48h", "7d": "14d", "30d": "60d"}


@dataclass
class State:
    """What the tools share for the server's lifetime."""

    settings: Settings
    client: AstroClient
    tokens: TokenSource
    clock: Callable[[], datetime]
    # Agents this server has answered for, for completions: the API has no way to list them.
    agents: dict[str, set[str]] = field(default_factory=dict)
    users: int = 0

    summaries: SingleFlightCache[MetricsQuery, MetricsSummary] = field(
        default_factory=lambda: SingleFlightCache(1024, lambda _: 1)
    )

    def resolve(
        self, account: str, name: str, start: str | None, end: str | None, interval: int | str | None
    ) -> tuple[MetricsQuery, datetime]:
        """Check the arguments against one reading of the clock; raises `QueryError`."""
        now = self.clock()
        s = self.settings
        query = resolve_query(
            account, name, start, end, interval, now=now, max_window_days=s.max_window_days, max_buckets=s.max_buckets
        )
        return query, now

    async def fetch(self, query: MetricsQuery, now: datetime) -> MetricsResponse:
        """The API's answer for a resolved query; raises `AstroError`."""
        response, cached = await self.client.get_metrics(query, now)
        self.agents.setdefault(query.account, set()).add(query.name)
        logger.info(
            "%s/%s %s..%s every %d min: %d buckets%s",
            query.account,
            query.name,
            rfc3339(query.start),
            rfc3339(query.end),
            query.interval_minutes,
            len(response.buckets),
            " (cached)" if cached else "",
        )
        return response

    async def summary(
        self, account: str, name: str, start: str | None, end: str | None, interval: int | str | None
    ) -> MetricsSummary:
        """Resolve, fetch and summarize. A past window's summary is kept as long as its data is."""
        query, now = self.resolve(account, name, start, end, interval)

        async def compute() -> MetricsSummary:
            response = await self.fetch(query, now)
            sent = response.interval_minutes if response.buckets else query.interval_minutes
            return summarize(query, response.buckets, sent, now)

        ttl = 0 if query.is_live(now) else self.settings.cache_ttl  # a live summary's notes depend on now
        summary, _ = await self.summaries.get(query, ttl, compute)
        return summary


def raw_uri(summary: MetricsSummary) -> str:
    """The raw resource holding every bucket behind a summary."""
    w = summary.window
    query = urlencode({"start_time": w.start, "end_time": w.end, "interval": w.interval_minutes})
    return f"astro://agents/{summary.account}/{summary.name}/metrics/raw?{query}"


def explain(err: AstroError, account: str, tokens: TokenSource, settings: Settings) -> str:
    """What failed and what to do next, for the model (and the person behind it)."""
    said = f" (the API said: {err.api_message})" if isinstance(err, ApiError) else ""
    match err:
        case QueryError() | MissingTokenError():
            return str(err)
        case UnauthorizedError():
            return (
                f"The Astro API rejected the access token from {tokens.source}{said}: it is missing, expired "
                f"(tokens last about an hour) or invalid. {HOW_TO_LOG_IN}"
            )
        case ForbiddenError():
            mine = tokens.accounts()
            known = f" Accounts this login belongs to: {', '.join(mine[:10])}." if mine else ""
            return (
                f"No access to account '{account}'{said}: the signed-in Astro user is not a member of it. Check "
                f"the account slug, or ask an admin of '{account}' to add you.{known}"
            )
        case NotFoundError():
            return (
                f"Astro knows no such account or agent{said}. Check the account slug and the agent name (both are "
                "lowercase slugs such as 'astro-team' and 'weather-agent'); the agent must be deployed."
            )
        case NotConfiguredError():
            return (
                f"Observability is not set up for account '{account}'{said}. This usually means the account has "
                "not deployed an agent yet, or its tracing (Langfuse) is not configured. Deploy an agent or set up "
                "observability in Astro first; calling again will not help until then."
            )
        case RateLimitedError():
            wait = f"{err.retry_after:.0f} seconds" if err.retry_after is not None else "a minute"
            return f"The Astro API is rate limiting requests{said}, and retrying did not help. Wait {wait}, then retry."
        case ApiError():
            return (
                f"The Astro API failed with HTTP {err.status_code}{said}, also after retrying. The problem is on "
                "Astro's side: try again in a minute, or with a shorter window."
            )
        case RequestTimeoutError():
            return (
                f"The call gave up: {err}. A long window at a fine interval is the heaviest query; try a shorter "
                "window or a coarser interval, or try again."
            )
        case ConnectionFailedError():
            return f"The call failed: {err}. Check the network, or ASTRO_API_URL ({settings.api_url}) if it was set."
        case InvalidResponseError():
            return f"The answer could not be used: {err}. This is a problem on the API's side; try again later."
    return str(err)


def create_server(
    settings: Settings,
    *,
    transport: httpx2.AsyncBaseTransport | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    known_agents: Mapping[str, set[str]] | None = None,
) -> MCPServer[State]:
    """Build the server. Nothing touches the network until the first tool call."""
    tokens = TokenSource(settings.access_token, settings.credentials_file)
    state = State(settings, AstroClient(settings, tokens, transport=transport), tokens, clock)
    for account, names in (known_agents or {}).items():
        state.agents.setdefault(account, set()).update(names)

    @asynccontextmanager
    async def lifespan(_: MCPServer[State]) -> AsyncIterator[State]:
        # SSE runs the lifespan once per connection: the last one out closes the shared client.
        state.users += 1
        try:
            yield state
        finally:
            state.users -= 1
            if state.users == 0:
                await state.client.aclose()

    async def get_agent_metrics(
        account: Account,
        name: AgentName,
        start_time: StartTime = None,
        end_time: EndTime = None,
        interval: Interval = None,
    ) -> Annotated[CallToolResult, MetricsSummary]:
        """Summarize how an agent deployed on Astro AI is doing in production over a time window.

        Returns, computed exactly from every bucket: traces, errors and error rate, mean latency
        (trace-weighted), input/output tokens, the busiest and quietest periods, the worst periods for
        errors and latency against the typical value, anomalies, the trend (first half against second),
        idle time, and a table of at most 48 rows. Quote these figures; do not re-add the table.

        Use it for "how is agent X doing?", "did errors spike last night?", "is it slower than last
        week?". To zoom into an anomaly, call again with a narrower window and a smaller interval.
        """
        try:
            summary = await state.summary(account, name, start_time, end_time, interval)
        except AstroError as err:
            raise ToolError(explain(err, account, tokens, settings)) from err
        return CallToolResult(
            content=[TextContent(type="text", text=render(summary, raw_uri(summary)))],
            structured_content=summary.model_dump(mode="json"),
        )

    tool = Tool.from_function(
        get_agent_metrics,
        title="Get agent metrics",
        description=inspect.cleandoc(get_agent_metrics.__doc__ or ""),  # Python < 3.13 keeps the indentation
        annotations=ToolAnnotations(
            title="Get agent metrics",
            read_only_hint=True,
            destructive_hint=False,
            idempotent_hint=True,
            open_world_hint=True,
        ),
    )
    if (schema := tool.fn_metadata.output_schema) is not None:  # derived from MetricsSummary by the SDK
        tool.fn_metadata.output_schema = self_contained(schema)

    verifier = StaticTokenVerifier(settings.auth_token) if settings.auth_token is not None else None
    mcp = MCPServer(
        "astro",
        title="Astro AI agent metrics",
        instructions=INSTRUCTIONS,
        version=__version__,
        lifespan=lifespan,
        log_level=settings.log_level,
        token_verifier=verifier,
        auth=AUTH if verifier is not None else None,
        tools=[tool],
    )

    @mcp.resource(TEMPLATE, name="agent_metrics", title="Agent metrics summary", mime_type="application/json")
    async def agent_metrics(
        account: str, name: str, start_time: str | None = None, end_time: str | None = None, interval: str | None = None
    ) -> str:
        """The summary get_agent_metrics gives, as JSON (default window: the last 24 hours)."""
        try:
            summary = await state.summary(account, name, start_time, end_time, interval)
        except AstroError as err:
            raise ResourceError(explain(err, account, tokens, settings)) from err
        return summary.model_dump_json()

    @mcp.resource(RAW_TEMPLATE, name="agent_metrics_raw", title="Agent metrics, raw", mime_type="application/json")
    async def agent_metrics_raw(
        account: str, name: str, start_time: str | None = None, end_time: str | None = None, interval: str | None = None
    ) -> str:
        """Every bucket as the Astro API returned it (buckets with no traces are left out), as JSON."""
        try:
            response = await state.fetch(*state.resolve(account, name, start_time, end_time, interval))
        except AstroError as err:
            raise ResourceError(explain(err, account, tokens, settings)) from err
        return response.model_dump_json()

    @mcp.prompt(title="Investigate an agent's health")
    def investigate_agent(
        account: Annotated[str, Field(description="Account slug, e.g. 'astro-team'")],
        name: Annotated[str, Field(description="Agent name, e.g. 'support-bot'")],
        window: Annotated[Window, Field(description="How far back to look: 1h, 6h, 24h, 7d or 30d")] = "24h",
    ) -> list[Message]:
        """Check an agent's traffic, errors and latency over a window, find what changed, and say what to do."""
        before = _PREVIOUS[window]
        return [
            UserMessage(
                f"Investigate how the Astro AI agent {account}/{name} has been doing over the last {window}.\n"
                f"1. Call get_agent_metrics with account='{account}', name='{name}', start_time='now-{window}'.\n"
                "2. For each anomaly it reports, call it again with start_time and end_time just around the "
                "anomaly and a smaller interval, to find when it began and ended and how bad it got.\n"
                f"3. Call it for the period before (start_time='now-{before}', end_time='now-{window}') to tell "
                "a regression from the agent's usual rhythm.\n"
                "4. Report: overall health (traffic, error rate, latency, tokens per trace), what changed and "
                "when, how severe it is, and what to check next. Quote the tool's figures; do not recompute them."
            )
        ]

    @mcp.completion()
    async def complete(
        ref: PromptReference | ResourceTemplateReference,
        argument: CompletionArgument,
        context: CompletionContext | None,
    ) -> Completion | None:
        if isinstance(ref, ResourceTemplateReference) and ref.uri not in (TEMPLATE, RAW_TEMPLATE):
            return None
        if isinstance(ref, PromptReference) and ref.name != "investigate_agent":
            return None
        chosen = (context.arguments or {}) if context else {}
        options: list[str]
        match argument.name:
            case "account":
                options = list(dict.fromkeys([*tokens.accounts(), *sorted(state.agents)]))
            case "name":
                options = sorted(state.agents.get(chosen.get("account", ""), set()))
            case "window":
                options = list(_PREVIOUS)
            case "start_time":
                options = ["now-1h", "now-6h", "now-24h", "now-7d", "now-30d"]
            case "end_time":
                options = ["now", "now-1h", "now-24h"]
            case "interval":
                options = ["1", "5", "15", "60", "1440"]
            case _:
                return None
        values = [o for o in options if o.startswith(argument.value)]
        return Completion(values=values[:100], total=len(values), has_more=len(values) > 100)

    @mcp.custom_route("/healthz", methods=["GET"])
    async def healthz(_: Request) -> Response:
        """Liveness for load balancers; it needs no token and tells nothing about the server."""
        return PlainTextResponse("ok")

    return mcp
