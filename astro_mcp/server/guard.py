"""A connection guard for the HTTP server: a deadline for each request's headers, and a cap on connections.

uvicorn has no header-read timeout: a client that opens a connection and sends nothing (or one byte a
second) holds a file descriptor for as long as it likes, and a thousand of them exhaust the process's
descriptors, after which not even `/healthz` answers. Here a connection with no request in progress
(just opened, or between two requests) must deliver the next request's headers within `header_timeout`
seconds, and the server holds at most `max_connections` connections: a new one beyond the cap pushes out
the oldest connection still waiting for headers, or is closed itself when every connection is busy.

Built from public interfaces only, in two halves:
- `protocol` wraps uvicorn's HTTP protocol class as an `asyncio.Protocol` (uvicorn's `http=` setting
  takes one class) and sees connections open and close, without touching the wrapped protocol's internals;
- `middleware` wraps the ASGI app: it sees when a request's headers are in (the app is called) and when
  its response is over (the app returns).
They meet through a context variable: the server starts a request's task while it is handed the
request's bytes (`data_received`), and a task starts with the context it was created in. (The scope's
`client` would not do: behind a proxy on loopback, uvicorn rewrites it from X-Forwarded-For.)
"""

from __future__ import annotations

import asyncio
import logging
from contextvars import ContextVar
from typing import Any, cast

from starlette.types import ASGIApp, Receive, Scope, Send

logger = logging.getLogger(__name__)

# The connection whose bytes are being handled: what a request's task, started meanwhile, belongs to.
_CONNECTION: ContextVar[_Guarded | None] = ContextVar("astro_mcp_connection", default=None)


class ConnectionGuard:
    """The two limits, for one server."""

    def __init__(self, max_connections: int, header_timeout: float) -> None:
        self.max_connections = max_connections
        self.header_timeout = header_timeout
        self._open: set[_Guarded] = set()
        # The connections waiting for request headers, oldest first, with their deadlines.
        self._waiting: dict[_Guarded, asyncio.TimerHandle] = {}

    def protocol(self, inner: type[asyncio.Protocol]) -> type[asyncio.Protocol]:
        """A protocol class (uvicorn's `http=`) that runs `inner` under this guard."""
        guard = self

        class Guarded(_Guarded):
            def __init__(self, **kwargs: Any) -> None:
                super().__init__(guard, inner(**kwargs))

        return Guarded

    def middleware(self, app: ASGIApp) -> ASGIApp:
        """`app`, telling the guard when each request is in and when its response is over."""

        async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
            connection = _CONNECTION.get()
            if connection is None:  # not a request of a guarded connection (a lifespan event, a test client)
                await app(scope, receive, send)
                return
            self._stop_waiting(connection)
            try:
                await app(scope, receive, send)
            finally:
                if not connection.closed:
                    self._await_headers(connection)  # the next request on this connection gets the same deadline

        return guarded

    def admit(self, connection: _Guarded) -> None:
        """Admit a new connection, pushing out the oldest idle one past the cap (or itself, if none is idle)."""
        self._open.add(connection)
        if len(self._open) > self.max_connections:
            victim = next(iter(self._waiting), connection)
            self._stop_waiting(victim)  # at once: the next connection must not pick the same victim
            logger.warning("%d connections open: closing one that is sending no request", self.max_connections)
            victim.abort()
            if victim is connection:
                return
        self._await_headers(connection)

    def release(self, connection: _Guarded) -> None:
        self._stop_waiting(connection)
        self._open.discard(connection)

    def _await_headers(self, connection: _Guarded) -> None:
        self._stop_waiting(connection)
        loop = asyncio.get_running_loop()
        self._waiting[connection] = loop.call_later(self.header_timeout, self._headers_late, connection)

    def _stop_waiting(self, connection: _Guarded) -> None:
        timer = self._waiting.pop(connection, None)
        if timer is not None:
            timer.cancel()

    def _headers_late(self, connection: _Guarded) -> None:
        self._waiting.pop(connection, None)
        logger.info("closing a connection that sent no complete request in %g s", self.header_timeout)
        connection.abort()


class _Guarded(asyncio.Protocol):
    """One connection: the wrapped protocol, told everything the event loop tells this one."""

    def __init__(self, guard: ConnectionGuard, inner: asyncio.Protocol) -> None:
        self._guard = guard
        self._inner = inner
        self._transport: asyncio.Transport | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # a stream server's transport is one
        self._inner.connection_made(transport)
        self._guard.admit(self)

    def data_received(self, data: bytes) -> None:
        token = _CONNECTION.set(self)
        try:
            self._inner.data_received(data)
        finally:
            _CONNECTION.reset(token)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._guard.release(self)
        self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    def abort(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.abort()
