"""A connection guard for uvicorn's HTTP/1.1 protocol: a deadline for request headers, and a cap on connections.

uvicorn has no header-read timeout: a client that opens a connection and sends nothing (or one byte a
second) holds a file descriptor for as long as it likes, and a thousand of them exhaust the process's
descriptors, after which not even `/healthz` answers. Here every connection must deliver each request's
headers within `header_timeout` seconds, and the server holds at most `max_connections` connections: a
new one beyond the cap pushes out the oldest connection still waiting for headers (an idle keep-alive
connection or a slow client), or is closed itself when every connection is busy with a request.
"""

from __future__ import annotations

import asyncio
import logging

from uvicorn.protocols.http.h11_impl import H11Protocol

logger = logging.getLogger(__name__)


def guarded_h11(max_connections: int, header_timeout: float) -> type[H11Protocol]:
    """An `H11Protocol` class (uvicorn's `http=`) that enforces both limits for one server."""
    # The connections still waiting for request headers, oldest first, with their deadlines.
    waiting: dict[GuardedH11, asyncio.TimerHandle] = {}

    class GuardedH11(H11Protocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                victim = next(iter(waiting), self)
                victim._stop_waiting()  # at once: the next connection must not pick the same victim
                logger.warning("%d connections open: closing one that is sending no request", max_connections)
                victim.transport.abort()
                if victim is self:
                    return
            self._await_headers()

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_waiting()
            super().connection_lost(exc)

        def handle_events(self) -> None:
            before = self.cycle
            super().handle_events()
            if self.cycle is not before:  # a request's headers are in
                self._stop_waiting()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._await_headers()  # the next request on this connection gets the same deadline

        def _await_headers(self) -> None:
            self._stop_waiting()
            waiting[self] = self.loop.call_later(header_timeout, self._headers_late)

        def _stop_waiting(self) -> None:
            timer = waiting.pop(self, None)
            if timer is not None:
                timer.cancel()

        def _headers_late(self) -> None:
            waiting.pop(self, None)
            logger.info("closing a connection that sent no complete request in %g s", header_timeout)
            self.transport.abort()

    return GuardedH11
