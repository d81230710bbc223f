"""What every call reads from its context: the service, and the log levels clients asked for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mcp.server.mcpserver import Context

from astro_mcp.server.logs import ClientLogLevels
from astro_mcp.service import Service


@dataclass
class AppState:
    """The lifespan's value: one per server, shared by every connection."""

    service: Service
    log_levels: ClientLogLevels = field(default_factory=ClientLogLevels)


def state_of(ctx: Context[AppState, Any]) -> AppState:
    return ctx.request_context.lifespan_context


def service_of(ctx: Context[AppState, Any]) -> Service:
    """The service the lifespan holds for the server's lifetime."""
    return state_of(ctx).service
