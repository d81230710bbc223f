"""`get_agent_metrics` with the context of each incident: what the platform knew around its onset.

Deploys, alerts, infrastructure events and restarts are fetched beside the metrics, not after them: none
of them needs the onset, and they are small. The failing step needs the worst error incident, so it can only
be read after the metrics, in two round trips (its error traces listed, then a sample's steps read at once:
`service.failing`).

How long the answer waits, one rule (`_cut`), for a call at most 1.3x as long as its metrics alone: what was asked
beside the metrics costs no round trip after them, and is waited for until it comes (`SHARE` of the call's budget
at most: what has not come by then is one note). The failing step is read from the moment the metrics are in, and
waited for until the rest has come or `ALLOWANCE` (a tenth) of the metrics' own time has passed since them,
whichever is later; the rest of the 1.3x is left for the context's own cost (its requests beside the metrics, and
the judging and attaching after the wait: `bench context` measures it). A failing step not read by then is one
line under its incident naming the traces call that shows it; the read goes on in the background, and is kept
for that call and the next metrics call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import anyio

from astro_mcp.analysis import context as judge
from astro_mcp.analysis.compare import Mode
from astro_mcp.analysis.results.metrics import Incident, MetricsSummary
from astro_mcp.api.cache import SingleFlightCache
from astro_mcp.api.platform_wire import Alerts, DeployHistory, InfraEvents, Runtime
from astro_mcp.domain import AgentRef, MetricsQuery
from astro_mcp.errors import AstroError
from astro_mcp.redaction import upstream_text
from astro_mcp.service.failing import FailingSteps
from astro_mcp.service.metrics import MetricsCases
from astro_mcp.service.upstream import Upstream

ALLOWANCE = 0.1  # of the metrics' own time, the most the answer waits for the failing step once the rest is in
SHARE = 0.3  # of the call's budget, the most the context may take in any case
_KEPT = 256  # explained summaries kept, like the summaries themselves, for the cache's TTL
SOURCES = ("deploy history", "alerts", "infrastructure events", "restarts", "trace steps")
_NO_STEPS = "trace steps: not available on this server."


class Gathered:
    """What came back for each source by the context's deadline, and a note for each that did not."""

    def __init__(self) -> None:
        self.known: dict[str, Any] = {}
        self.notes: dict[str, str] = {}

    def settled(self, source: str) -> bool:
        return source in self.known or source in self.notes

    def as_known(self, steps: Sequence[judge.Step] | None) -> judge.Known:
        k = self.known
        events, restarts = k.get("infrastructure events"), k.get("restarts")
        return judge.Known(k.get("deploy history"), k.get("alerts"), events, restarts, steps)


class ContextCases:
    """`get_agent_metrics`: an agent's summary, each incident with the evidence around its onset."""

    def __init__(self, upstream: Upstream, metrics: MetricsCases, failing: FailingSteps) -> None:
        self._up = upstream
        self._metrics = metrics
        self._failing = failing
        self._explained: SingleFlightCache[tuple[MetricsQuery, Mode], tuple[MetricsSummary, Gathered]] = (
            SingleFlightCache(_KEPT, lambda _: 1)
        )

    async def summary(self, query: MetricsQuery, compare: Mode = "previous", *, deadline: float) -> MetricsSummary:
        """`MetricsCases.summary`, each incident with its context; only the metrics can fail the call (`AstroError`)."""
        began = anyio.current_time()
        cuts: list[float] = []  # when the context's wait ends, where this call fetched the metrics
        summary, gathered = await self._explained.get(
            (query, compare), self._up.ttl(query), lambda: self._explain(query, compare, began, deadline, cuts)
        )
        if not summary.incidents:
            return summary
        cut = cuts[0] if cuts else self._cut(began, deadline)
        worst = _worst(summary)
        steps, note, ready = await self._sample(query.agent, worst, cut)
        pending = None if ready else worst
        return _attached(summary, gathered, Stepped(steps, note, pending), self._up.routes.generation())

    def _cut(self, began: float, deadline: float) -> float:
        """The one rule: when the answer stops waiting for the failing step, for metrics that came in just now (and
        the rest of the context, if later)."""
        now = anyio.current_time()
        return min(deadline, began + self._up.settings.call_budget * SHARE, now + ALLOWANCE * (now - began))

    async def _explain(
        self, query: MetricsQuery, compare: Mode, began: float, deadline: float, cuts: list[float]
    ) -> tuple[MetricsSummary, Gathered]:
        share = self._up.settings.call_budget * SHARE
        until = min(deadline, began + share)
        gathered = Gathered()
        found: list[MetricsSummary] = []
        failures: list[AstroError] = []
        waits = anyio.CancelScope(deadline=until)

        async def main() -> None:
            try:
                summary = await self._metrics.summary(query, compare, deadline=deadline)
            except AstroError as err:  # raised below, unwrapped: a task group would wrap it in a group
                failures.append(err)
                tg.cancel_scope.cancel()
                return
            found.append(summary)
            cuts.append(self._cut(began, deadline))
            if not summary.incidents:
                waits.cancel()  # nothing to put the context beside
            elif (worst := _worst(summary)) is not None:
                self._failing.start(query.agent, *_window(worst))  # while the rest of the context comes

        async with anyio.create_task_group() as tg:
            tg.start_soon(main)
            tg.start_soon(self._gather, query, gathered, waits, until)
        if failures:
            raise failures[0]
        for source in SOURCES[:-1]:
            if not gathered.settled(source):
                gathered.notes[source] = f"{source}: no answer within {share:.3g} s, the context's share of the call."
        return found[0], gathered

    async def _gather(self, query: MetricsQuery, gathered: Gathered, waits: anyio.CancelScope, until: float) -> None:
        """Every source at once, while `waits` lasts; each records what it got, or a note."""
        agent, around = query.agent, self._up.around
        with waits:
            async with anyio.create_task_group() as tg:
                tg.start_soon(_read, gathered, "deploy history", lambda: around.history(agent, until), _deploys)
                tg.start_soon(_read, gathered, "alerts", lambda: around.alerts(agent, until), _alerts)
                tg.start_soon(_read, gathered, "infrastructure events", lambda: around.events(agent, until), _events)
                tg.start_soon(_read, gathered, "restarts", lambda: around.runtime(agent, until), _restarts)

    async def _sample(
        self, agent: AgentRef, worst: Incident | None, cut: float
    ) -> tuple[Sequence[judge.Step] | None, str | None, bool]:
        """The failing steps of a sample of the worst error incident's error traces, the note that says why there
        are none, and whether the read is over by `cut` (if not, it goes on in the background)."""
        if worst is None:
            return [], None, True  # nothing to read
        if not await self._up.around.shows_steps():
            return None, _NO_STEPS, True
        try:
            sample = await self._failing.within(agent, *_window(worst), cut - anyio.current_time())
        except AstroError as err:
            return None, f"trace steps: could not be read ({upstream_text(str(err), 160)}).", True
        if sample is None:
            return None, None, False
        if sample.steps is None:
            return None, _NO_STEPS, True
        return sample.steps, None, True


def _worst(summary: MetricsSummary) -> Incident | None:
    """The incident whose failing step is read: the first (worst) with errors among its signals."""
    return next((i for i in summary.incidents if "error_rate" in i.metrics), None)


def _window(incident: Incident) -> tuple[datetime, datetime]:
    """The window the incident's traces call reads, and the failing step is kept under: what the model is told."""
    call = incident.traces_call
    return datetime.fromisoformat(call.start_time), datetime.fromisoformat(call.end_time)


async def _read(
    gathered: Gathered, source: str, fetch: Callable[[], Awaitable[Any]], convert: Callable[[Any], Any]
) -> None:
    try:
        got = await fetch()
    except AstroError as err:
        gathered.notes[source] = f"{source}: could not be read ({upstream_text(str(err), 160)})."
        return
    if got is None:
        gathered.notes[source] = f"{source}: not available on this server."
    else:
        gathered.known[source] = convert(got)


@dataclass(frozen=True, slots=True)
class Stepped:
    """The failing steps of the sample read for this answer, the note that says why there are none, and the
    incident whose failing step was still being read when it was sent."""

    steps: Sequence[judge.Step] | None
    note: str | None
    pending: Incident | None


def _attached(summary: MetricsSummary, gathered: Gathered, stepped: Stepped, server: str) -> MetricsSummary:
    """The summary with each incident's context, the notes on what could not be read, and the line on which server
    answered said again: the context's routes may have taught it more since the metrics came."""
    known = gathered.as_known(stepped.steps)
    end = summary.window.end
    incidents = [
        i.model_copy(update={"context": judge.context_of(i, end, known, pending=i is stepped.pending)})
        for i in summary.incidents
    ]
    said = [server if note.startswith("Server: ") else note for note in summary.notes]
    late = {**gathered.notes, **({"trace steps": stepped.note} if stepped.note else {})}
    notes = [*said, *(late[s] for s in SOURCES if s in late)]
    return summary.model_copy(update={"incidents": incidents, "notes": notes})


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
