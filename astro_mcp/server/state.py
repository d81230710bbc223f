"""What every call reads from its context: the service, and the log levels clients asked for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import Context

from astro_mcp.server.logs import ClientLogLevels

if TYPE_CHECKING:  # the service, and all it imports, is loaded by the first call that needs it, not at start-up
    from astro_mcp.service import Service


@dataclass
class AppState:
    """The lifespan's value: one per server, shared by every connection."""

    make_service: Callable[[], Service]
    log_levels: ClientLogLevels = field(default_factory=ClientLogLevels)

    @cached_property
    def service(self) -> Service:
        """The service for the server's lifetime, made when a call first needs it."""
        return self.make_service()

    @property
    def started(self) -> bool:
        """Whether a call has made the service yet (there is nothing to close otherwise)."""
        return "service" in self.__dict__


def state_of(ctx: Context[AppState, Any]) -> AppState:
    return ctx.request_context.lifespan_context


def service_of(ctx: Context[AppState, Any]) -> Service:
    """The service the lifespan holds for the server's lifetime."""
    return state_of(ctx).service
