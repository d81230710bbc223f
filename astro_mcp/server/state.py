"""What every call reads from its context: the service, and the log levels clients asked for."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc
from mcp.server.mcpserver import Context

from astro_mcp.server.logs import ClientLogLevels

if TYPE_CHECKING:  # the service, and all it imports, is loaded by the first call that needs it, not at start-up
    from astro_mcp.service import Service


@dataclass
class AppState:
    """The lifespan's value: one per server, shared by every connection."""

    make_service: Callable[[], Service]
    log_levels: ClientLogLevels = field(default_factory=ClientLogLevels)
    hosts: list[anyio.abc.TaskGroup] = field(default_factory=list)  # where a sign-in a call started finishes

    @cached_property
    def service(self) -> Service:
        """The service for the server's lifetime, made when a call first needs it."""
        return self.make_service()

    @property
    def started(self) -> bool:
        """Whether a call has made the service yet (there is nothing to close otherwise)."""
        return "service" in self.__dict__

    @contextlib.asynccontextmanager
    async def hosting(self) -> AsyncIterator[None]:
        """Carry background work (a sign-in started by a call) in a task group for as long as this context lasts."""
        async with anyio.create_task_group() as tg:
            self.hosts.append(tg)
            try:
                yield
            finally:
                self.hosts.remove(tg)
                tg.cancel_scope.cancel()


def state_of(ctx: Context[AppState, Any]) -> AppState:
    return ctx.request_context.lifespan_context


def service_of(ctx: Context[AppState, Any]) -> Service:
    """The service the lifespan holds for the server's lifetime."""
    return state_of(ctx).service
