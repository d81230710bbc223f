"""`get_agent_metrics` with the context of each incident: what the platform knew around its onset.

Deploys, alerts, infrastructure events, restarts and the steps of a sample of the window's newest error
traces are fetched beside the metrics, not after them: none of them needs the onset, and waiting for it
would cost the call two more round trips. An error incident that the newest errors do not reach (one
that is over) gets a sample of its own afterwards, if time is left. The context may take `SHARE` of the
call's budget at most; what has not come by then is one note, as is a route the server does not have.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import anyio

from astro_mcp.analysis import context as judge
from astro_mcp.analysis.compare import Mode
from astro_mcp.analysis.results.metrics import Incident, MetricsSummary
from astro_mcp.api.cache import SingleFlightCache
from astro_mcp.api.platform_wire import Alerts, DeployHistory, InfraEvents, Runtime, TraceDetail
from astro_mcp.domain import AgentRef, MetricsQuery, Trace, TracesQuery
from astro_mcp.errors import AstroError
from astro_mcp.redaction import upstream_text
from astro_mcp.service.metrics import MetricsCases
from astro_mcp.service.upstream import Upstream

SAMPLE = 8  # error traces whose steps are read: one wave of the default fan-out bound
HEAVY = 20_000  # characters of a listed trace's input and output past which its steps are not read: its detail
# carries the same content again (megabytes, at times); the next one listed is read instead
_SPARE = 4  # error traces listed beyond the sample, to stand in for heavy ones
SHARE = 0.3  # of the call's budget, the most the context may take
_KEPT = 256  # explained summaries kept, like the summaries themselves, for the cache's TTL
SOURCES = ("deploy history", "alerts", "infrastructure events", "restarts", "trace steps")


class Gathered:
    """What came back for each source by the context's deadline, and a note for each that did not."""

    def __init__(self) -> None:
        self.known: dict[str, Any] = {}
        self.notes: dict[str, str] = {}

    def settled(self, source: str) -> bool:
        return source in self.known or source in self.notes

    def as_known(self) -> judge.Known:
        k = self.known
        return judge.Known(
            k.get("deploy history"),
            k.get("alerts"),
            k.get("infrastructure events"),
            k.get("restarts"),
            k.get("trace steps"),
        )


class ContextCases:
    """`get_agent_metrics`: an agent's summary, each incident with the evidence around its onset."""

    def __init__(self, upstream: Upstream, metrics: MetricsCases) -> None:
        self._up = upstream
        self._metrics = metrics
        self._explained: SingleFlightCache[tuple[MetricsQuery, Mode], MetricsSummary] = SingleFlightCache(
            _KEPT, lambda _: 1
        )

    async def summary(self, query: MetricsQuery, compare: Mode = "previous", *, deadline: float) -> MetricsSummary:
        """`MetricsCases.summary`, each incident with its context; only the metrics can fail the call (`AstroError`)."""
        return await self._explained.get(
            (query, compare), self._up.ttl(query), lambda: self._explain(query, compare, deadline)
        )

    async def _explain(self, query: MetricsQuery, compare: Mode, deadline: float) -> MetricsSummary:
        share = self._up.settings.call_budget * SHARE
        until = min(deadline, anyio.current_time() + share)
        gathered = Gathered()
        found: list[MetricsSummary] = []
        failures: list[AstroError] = []

        async def main() -> None:
            try:
                found.append(await self._metrics.summary(query, compare, deadline=deadline))
            except AstroError as err:  # raised below, unwrapped: a task group would wrap it in a group
                failures.append(err)
                tg.cancel_scope.cancel()

        async with anyio.create_task_group() as tg:
            tg.start_soon(main)
            tg.start_soon(self._gather, query, gathered, until)
        if failures:
            raise failures[0]
        summary = found[0]
        if not summary.incidents:
            return summary
        await self._sample_the_rest(query.agent, summary, gathered, until)
        for source in SOURCES:
            if not gathered.settled(source):
                gathered.notes[source] = f"{source}: no answer within {share:.3g} s, the context's share of the call."
        return _attached(summary, gathered, self._up.routes.generation())

    async def _gather(self, query: MetricsQuery, gathered: Gathered, until: float) -> None:
        """Every source at once, by `until`; each records what it got, or a note."""
        agent, around = query.agent, self._up.around
        with anyio.CancelScope(deadline=until):
            async with anyio.create_task_group() as tg:
                tg.start_soon(_read, gathered, "deploy history", lambda: around.history(agent, until), _deploys)
                tg.start_soon(_read, gathered, "alerts", lambda: around.alerts(agent, until), _alerts)
                tg.start_soon(_read, gathered, "infrastructure events", lambda: around.events(agent, until), _events)
                tg.start_soon(_read, gathered, "restarts", lambda: around.runtime(agent, until), _restarts)
                tg.start_soon(
                    _read, gathered, "trace steps", lambda: self._steps(agent, query.start, query.end, until), list
                )

    async def _sample_the_rest(
        self, agent: AgentRef, summary: MetricsSummary, gathered: Gathered, until: float
    ) -> None:
        """A sample of its own for the worst error incident the window's newest errors do not reach, if time is left."""
        steps: list[judge.Step] | None = gathered.known.get("trace steps")
        if steps is None:
            return
        end = summary.window.end
        missed = next((i for i in summary.incidents if "error_rate" in i.metrics and not _covers(i, end, steps)), None)
        if missed is None:
            return
        with anyio.CancelScope(deadline=until):
            try:
                more = await self._steps(agent, missed.start, missed.end or end, until)
            except AstroError:
                return  # the newest errors' sample stands; this incident then has no failing step
            gathered.known["trace steps"] = [*steps, *(more or [])]

    async def _steps(self, agent: AgentRef, start: datetime, end: datetime, until: float) -> list[judge.Step] | None:
        """The failing step of each of the newest `SAMPLE` error traces in [start, end); None where the server
        cannot show a trace's steps. Raises `AstroError`: the traces could not be listed, or no step read."""
        if not await self._up.around.shows_steps():
            return None
        query = TracesQuery(agent, start, end, "error", SAMPLE + _SPARE, 0)
        listed, _ = await self._up.traces(query, SAMPLE + _SPARE, until)
        ids = [(t.trace_id, t.timestamp) for t in listed.traces if t.trace_id and _light(t)][:SAMPLE]
        details: list[tuple[TraceDetail | None, datetime | None]] = []
        failures: list[AstroError] = []

        async def read(trace_id: str, at: datetime | None) -> None:
            try:
                async with self._up.fan_out:
                    details.append((await self._up.around.trace(agent, trace_id, until), at))
            except AstroError as err:
                failures.append(err)

        async with anyio.create_task_group() as tg:
            for trace_id, at in ids:
                tg.start_soon(read, trace_id, at)
        if ids and not details:
            raise failures[0]
        if any(d is None for d, _ in details):
            return None
        return [_failed_step(d, at) for d, at in details if d is not None]


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


def _light(trace: Trace) -> bool:
    sizes = (len(v) if isinstance(v, str) else len(json.dumps(v)) for v in (trace.input, trace.output) if v is not None)
    return sum(sizes) <= HEAVY


def _covers(incident: Incident, now: datetime, steps: list[judge.Step]) -> bool:
    end = incident.end or now
    return any(s.at is not None and incident.start <= s.at <= end for s in steps)


def _attached(summary: MetricsSummary, gathered: Gathered, server: str) -> MetricsSummary:
    """The summary with each incident's context, the notes on what could not be read, and the line on which server
    answered said again: the context's routes may have taught it more since the metrics came."""
    known = gathered.as_known()
    end = summary.window.end
    incidents = [i.model_copy(update={"context": judge.context_of(i, end, known)}) for i in summary.incidents]
    said = [server if note.startswith("Server: ") else note for note in summary.notes]
    notes = [*said, *(gathered.notes[s] for s in SOURCES if s in gathered.notes)]
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


def _failed_step(detail: TraceDetail, at: datetime | None) -> judge.Step:
    """The trace's first step at level ERROR (or with a message where the level says nothing)."""
    failed = [o for o in detail.observations if (o.level or "").upper() == "ERROR"] or [
        o for o in detail.observations if o.status_message and (o.level or "").upper() not in ("DEFAULT", "DEBUG")
    ]
    at = at or detail.timestamp
    if not failed:
        return judge.Step(at, None, None, None, None)
    first = min(failed, key=lambda o: o.start_time.timestamp() if o.start_time else float("inf"))
    return judge.Step(at, first.name, first.type, first.model, first.status_message)
