"""Log notifications for the client's operator: what happened during a call (retries, token refreshes,
upstream failures), sent as MCP `notifications/message` after the call's own log lines are collected.

The logging capability is deprecated from protocol 2026-07-28 on, but most hosts still speak
2025-11-25, where `logging/setLevel` is how an operator asks for more or less. On 2025-11-25 the SDK
sends whatever a server logs, so the level a client set is applied here; on 2026-07-28 the client
opts in per request and the SDK filters. Messages pass through `upstream_text`: one line, cut to length,
no token ever sent.
"""

from __future__ import annotations

import logging
import warnings
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, get_args

from mcp.server import MCPServer
from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context
from mcp.types import EmptyResult, LoggingLevel, SetLevelRequestParams

from astro_mcp.redaction import upstream_text

SEVERITY: tuple[LoggingLevel, ...] = get_args(LoggingLevel)
MAX_CLIENTS = 256
NOTIFICATION_CHARS = 1000  # of one log notification: a line for an operator, not a document
_MAX_PER_CALL = 20  # a call that logs more than this is failing in a loop: the operator needs the first few
_CALL_RECORDS: ContextVar[list[logging.LogRecord] | None] = ContextVar("astro_mcp_call_records", default=None)


def _level(record: logging.LogRecord) -> LoggingLevel:
    if record.levelno >= logging.CRITICAL:
        return "critical"
    if record.levelno >= logging.ERROR:
        return "error"
    if record.levelno >= logging.WARNING:
        return "warning"
    return "info" if record.levelno >= logging.INFO else "debug"


class _Collector(logging.Handler):
    """Keeps the records of astro-mcp's loggers that belong to the call under way (a context variable)."""

    def emit(self, record: logging.LogRecord) -> None:
        records = _CALL_RECORDS.get()
        if records is not None and len(records) < _MAX_PER_CALL:
            records.append(record)


_COLLECTOR = _Collector()


@dataclass
class ClientLogLevels:
    """The level each client asked for with `logging/setLevel`, by session (None: stdio's one client).

    The sessions that asked last are remembered, `MAX_CLIENTS` at most: sessions come and go, and one that
    is forgotten is sent every level again, as a client that never asked.
    """

    chosen: OrderedDict[str | None, LoggingLevel] = field(default_factory=OrderedDict)

    async def set_level(self, ctx: ServerRequestContext[Any, Any], params: SetLevelRequestParams) -> EmptyResult:
        client = _client(ctx.request)
        self.chosen[client] = params.level
        self.chosen.move_to_end(client)
        while len(self.chosen) > MAX_CLIENTS:
            self.chosen.popitem(last=False)
        return EmptyResult()

    def wants(self, request: Any, level: LoggingLevel) -> bool:
        wanted = self.chosen.get(_client(request))
        return wanted is None or SEVERITY.index(level) >= SEVERITY.index(wanted)


def _client(request: Any) -> str | None:
    headers = getattr(request, "headers", None)
    return headers.get("mcp-session-id") if headers is not None else None


def offer_logging(mcp: MCPServer[Any], levels: ClientLogLevels) -> None:
    """Answer `logging/setLevel` (which also declares the capability) and collect astro-mcp's log lines."""
    # MCPServer has no public hook for this request; the SDK's docs point to the low-level server.
    mcp._lowlevel_server.add_request_handler("logging/setLevel", SetLevelRequestParams, levels.set_level)
    package = logging.getLogger("astro_mcp")
    if _COLLECTOR not in package.handlers:
        package.addHandler(_COLLECTOR)


@asynccontextmanager
async def forwarded(ctx: Context[Any, Any], levels: ClientLogLevels) -> AsyncIterator[None]:
    """Send the client what astro-mcp logged during the block, at the levels it asked for."""
    records: list[logging.LogRecord] = []
    token = _CALL_RECORDS.set(records)
    try:
        yield
    finally:
        _CALL_RECORDS.reset(token)
        request = ctx.request_context.request
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the SDK marks logging deprecated (SEP-2577) on every call
            for record in records:
                level = _level(record)
                if levels.wants(request, level):
                    await ctx.log(
                        level, upstream_text(record.getMessage(), NOTIFICATION_CHARS), logger_name=record.name
                    )
