"""What the platform knew around one agent besides its metrics: its deploys, alerts, infrastructure events and
restarts, read at once by a deadline. Each source comes back known, or with the one reason it did not: the
server has no such route, the route failed, or it had not answered by the deadline.

`get_agent_metrics` reads them beside the metrics for its incidents' context; the overview, for its worst rows,
each request under the fan-out bound. Either may give them `SHARE` of the call's budget at most.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import nullcontext
from typing import Any

import anyio

from astro_mcp.analysis import context as judge
from astro_mcp.api.platform_wire import Alerts, DeployHistory, InfraEvents, Runtime
from astro_mcp.config import Settings
from astro_mcp.domain import AgentRef
from astro_mcp.errors import AstroError
from astro_mcp.redaction import upstream_text
from astro_mcp.service.around import Around

SHARE = 0.3  # of the call's budget, the most the context may take
AROUND = ("deploy history", "alerts", "infrastructure events", "restarts")


class Gathered:
    """What came back for each source by the context's deadline, and why each other one did not."""

    def __init__(self) -> None:
        self.known: dict[str, Any] = {}
        self.reasons: dict[str, str] = {}  # source -> why it was not read ("not available on this server")

    def settled(self, source: str) -> bool:
        return source in self.known or source in self.reasons

    def late(self, sources: Sequence[str], seconds: float) -> None:
        """Each of `sources` that has not come: not in time."""
        for source in sources:
            if not self.settled(source):
                self.reasons[source] = f"no answer within {seconds:.3g} s, the context's share of the call"

    def as_known(self) -> judge.Known:
        """What was read, its failing steps left out: the failing step is read apart (`service.failing`)."""
        k = self.known
        return judge.Known(k.get("deploy history"), k.get("alerts"), k.get("infrastructure events"), k.get("restarts"))


def share_of(settings: Settings, deadline: float | None) -> tuple[float, float]:
    """(until, seconds): when the context must be in by (`anyio`'s clock), and how long that gives it."""
    now = anyio.current_time()
    until = now + settings.call_budget * SHARE
    until = until if deadline is None else min(deadline, until)
    return until, max(0.0, until - now)


async def gather(
    around: Around, agent: AgentRef, gathered: Gathered, until: float, bound: anyio.CapacityLimiter | None = None
) -> None:
    """Every source around `agent` at once (each under `bound`, if given), by `until`."""
    sources: tuple[tuple[str, Callable[[], Awaitable[Any]], Callable[[Any], Any]], ...] = (
        ("deploy history", lambda: around.history(agent, until), _deploys),
        ("alerts", lambda: around.alerts(agent, until), _alerts),
        ("infrastructure events", lambda: around.events(agent, until), _events),
        ("restarts", lambda: around.runtime(agent, until), _restarts),
    )
    with anyio.CancelScope(deadline=until):
        async with anyio.create_task_group() as tg:
            for source, fetch, convert in sources:
                tg.start_soon(read, gathered, source, fetch, convert, bound)


async def read(
    gathered: Gathered,
    source: str,
    fetch: Callable[[], Awaitable[Any]],
    convert: Callable[[Any], Any],
    bound: anyio.CapacityLimiter | None = None,
) -> None:
    """One source into `gathered`: what it gave, converted, or why not."""
    try:
        async with bound or nullcontext():
            got = await fetch()
    except AstroError as err:
        gathered.reasons[source] = unread(err)
        return
    if got is None:
        gathered.reasons[source] = judge.NOT_SERVED
    else:
        gathered.known[source] = convert(got)


def unread(err: AstroError) -> str:
    """Why a source of context could not be read, in the API's words, short and on one line."""
    return f"could not be read ({upstream_text(str(err), 160)})"


def server_said_again(notes: Sequence[str], server: str) -> list[str]:
    """`notes` with the line on which server answered said again: the context's routes may have taught it more."""
    return [server if note.startswith("Server: ") else note for note in notes]


def _deploys(history: DeployHistory) -> list[judge.Deployed]:
    return [
        judge.Deployed(d.build_id, d.deployed_at, bool(d.rollback), d.revision)
        for d in history.items
        if d.deployed_at is not None
    ]


def _alerts(alerts: Alerts) -> list[judge.Alerting]:
    return [
        judge.Alerting(a.name or "(unnamed)", a.title, a.severity, a.state, a.active_since)
        for a in alerts.items
        if a.state in ("firing", "pending")
    ]


def _events(events: InfraEvents) -> list[judge.Happened]:
    return [
        judge.Happened(e.reason, e.message, e.severity, e.guidance, e.count, e.at)
        for e in events.items
        if e.reason and e.severity != "info"
    ]


def _restarts(runtime: Runtime) -> tuple[int, str | None]:
    restarts = sum(p.restarts or 0 for p in runtime.pods)
    return restarts, next((p.last_termination for p in runtime.pods if p.last_termination), None)
