"""Progress of the call under way, for the client that asked for it (an MCP `progressToken`).

A long call says what it is doing: each agent of an overview read (n of N), a retry and how long it
waits (Retry-After included), a sign-in refresh, a page of a list fetched. Clients reset their time-outs
on progress, and a person sees that the call is alive. Any layer may call `step`; the server sets the
reporter for the call (`reporting`), and without one (no token, or outside a call) a step does nothing.
Progress only ever increases, as the protocol requires: a step that is not a count moves it a little.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

Send = Callable[[float, float | None, str], Awaitable[None]]
"""(progress, total or None, message): sends one progress notification."""

_NUDGE = 0.001  # how far a step that is not a count moves the progress


@dataclass
class _Call:
    send: Send
    progress: float = 0.0


_current: ContextVar[_Call | None] = ContextVar("astro_mcp_progress", default=None)


@contextmanager
def reporting(send: Send) -> Iterator[None]:
    """Within this block, every `step` of this call goes to `send`."""
    token = _current.set(_Call(send))
    try:
        yield
    finally:
        _current.reset(token)


async def step(message: str, done: float | None = None, total: float | None = None) -> None:
    """Say what the call is doing; `done` of `total` when it counts something."""
    call = _current.get()
    if call is None:
        return
    value = done if done is not None and done > call.progress else call.progress + _NUDGE
    call.progress = value
    await call.send(value, total, message)
