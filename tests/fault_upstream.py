"""A misbehaving Astro API for the tests: raw HTTP/1.1 on loopback that can drip, reset, bloat and echo.

The simulator answers like the real API; this server answers like a broken one, at the socket level,
where no web framework would let it: headers or body one byte at a time, a connection reset, a 20 MB
error, the request's own headers sent back. Set `behaviour` (or `script` a sequence) before a call.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import anyio
from anyio.abc import SocketAttribute, SocketStream


@dataclass(frozen=True)
class Reply:
    """A whole answer at once. `body` may be built from the request's query parameters."""

    status: int = 200
    body: bytes | Callable[[dict[str, str]], bytes] = b'{"buckets": []}'
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Drip:
    """A valid 200 whose headers (`head=True`) or body arrive one byte every `every` seconds."""

    head: bool = False
    every: float = 0.1


@dataclass(frozen=True)
class Reset:
    """The connection is reset once the request is read."""


@dataclass(frozen=True)
class Echo:
    """A 500 whose `error` quotes the request's Authorization header, as a careless proxy might."""


Behaviour = Reply | Drip | Reset | Echo
_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests",
            500: "Internal Server Error"}  # fmt: skip


def error_body(message: str) -> bytes:
    return json.dumps({"error": message}).encode()


def _head(status: int, length: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}", f"Content-Length: {length}"]
    lines += ["Content-Type: application/json", "Connection: close", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class FaultUpstream:
    """The server's state: what it does next, and what it was asked."""

    def __init__(self) -> None:
        self.behaviour: Behaviour = Reply()
        self.requests: list[str] = []
        self._script: list[Behaviour] = []
        # Request-line fragment -> behaviour, the first match wins over `behaviour` (not over a script).
        self.by_path: dict[str, Behaviour] = {}

    def script(self, *steps: Behaviour) -> None:
        """Behave as `steps` for the next metrics requests, then as `behaviour` again (other routes: `behaviour`)."""
        self._script = list(steps)

    async def handle(self, stream: SocketStream) -> None:
        async with stream:
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                try:
                    head += await stream.receive()
                except (anyio.EndOfStream, anyio.BrokenResourceError):
                    return
            request = head.decode("latin-1")
            self.requests.append(request)
            metrics = "/observability/metrics" in request.split("\r\n", 1)[0]
            line = request.split("\r\n", 1)[0]
            routed = next((b for fragment, b in self.by_path.items() if fragment in line), self.behaviour)
            step = self._script.pop(0) if self._script and metrics else routed
            # The client may give up first: that is what the drips are for.
            with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
                await self._answer(stream, step, request)

    async def _answer(self, stream: SocketStream, step: Behaviour, request: str) -> None:
        match step:
            case Reply(status, body, headers):
                target = request.split(" ", 2)[1]
                data = body(dict(parse_qsl(urlsplit(target).query))) if callable(body) else body
                await stream.send(_head(status, len(data), headers) + data)
            case Drip(head, every):
                data = b'{"buckets": []' + b" " * 1000 + b"}"  # long enough to outlast any budget
                whole = _head(200, len(data), {"X-Padding": "p" * 1000}) + data
                at = 0 if head else len(whole) - len(data)
                await stream.send(whole[:at])
                for byte in whole[at:]:
                    await anyio.sleep(every)
                    await stream.send(bytes([byte]))
            case Reset():
                raw = stream.extra(SocketAttribute.raw_socket)
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            case Echo():
                said = [line for line in request.split("\r\n") if line.lower().startswith("authorization:")]
                data = error_body(f"bad credentials: {said}")
                await stream.send(_head(500, len(data), {}) + data)


@asynccontextmanager
async def serve_faults(upstream: FaultUpstream) -> AsyncIterator[str]:
    """Serve `upstream` on a free loopback port; yield the API base URL."""
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(SocketAttribute.local_port)
    async with anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, upstream.handle)
        try:
            yield f"http://127.0.0.1:{port}/api/v1"
        finally:
            tg.cancel_scope.cancel()
