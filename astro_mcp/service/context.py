"""`get_agent_metrics` with the context of each incident: what the platform knew around its onset.

Deploys, alerts, infrastructure events and restarts are fetched beside the metrics, not after them: none
of them needs the onset, and they are small. The failing step is read once the worst error incident is
known, from a sample of its own error traces (listed, then their steps read at once): two round trips
after the metrics, paid only by a call that has an error incident. The context may take `nearby.SHARE` of the
call's budget at most; what has not come by then is one note, as is a route the server does not have.
"""

from __future__ import annotations

import json
from datetime import datetime

import anyio

from astro_mcp.analysis import context as judge
from astro_mcp.analysis.compare import Mode
from astro_mcp.analysis.results.metrics import MetricsSummary
from astro_mcp.api.cache import SingleFlightCache
from astro_mcp.api.platform_wire import TraceDetail
from astro_mcp.domain import AgentRef, MetricsQuery, Trace, TracesQuery
from astro_mcp.errors import AstroError
from astro_mcp.service import nearby
from astro_mcp.service.metrics import MetricsCases
from astro_mcp.service.upstream import Upstream

SAMPLE = 8  # error traces whose steps are read: one wave of the default fan-out bound
HEAVY = 20_000  # characters of a listed trace's input and output past which its steps are not read: its detail
# carries the same content again (megabytes, at times); the next one listed is read instead
_SPARE = 4  # error traces listed beyond the sample, to stand in for heavy ones
_KEPT = 256  # explained summaries kept, like the summaries themselves, for the cache's TTL
SOURCES = (*nearby.AROUND, "trace steps")


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
        until, share = nearby.share_of(self._up.settings, deadline)
        gathered = nearby.Gathered()
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
            tg.start_soon(nearby.gather, self._up.around, query.agent, gathered, until)
        if failures:
            raise failures[0]
        summary = found[0]
        if not summary.incidents:
            return summary
        await self._sample(query.agent, summary, gathered, until)
        gathered.late(SOURCES, share)
        return _attached(summary, gathered, self._up.routes.generation())

    async def _sample(self, agent: AgentRef, summary: MetricsSummary, gathered: nearby.Gathered, until: float) -> None:
        """The failing step of the worst error incident, from a sample of its own error traces, by `until`."""
        worst = next((i for i in summary.incidents if "error_rate" in i.metrics), None)
        if worst is None:
            gathered.known["trace steps"] = []  # nothing to read
            return
        end = worst.end or summary.window.end
        with anyio.CancelScope(deadline=until):
            await nearby.read(gathered, "trace steps", lambda: self._steps(agent, worst.start, end, until), list)

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


def _light(trace: Trace) -> bool:
    sizes = (len(v) if isinstance(v, str) else len(json.dumps(v)) for v in (trace.input, trace.output) if v is not None)
    return sum(sizes) <= HEAVY


def _attached(summary: MetricsSummary, gathered: nearby.Gathered, server: str) -> MetricsSummary:
    """The summary with each incident's context, the notes on what could not be read, and the line on which server
    answered said again: the context's routes may have taught it more since the metrics came."""
    known = gathered.as_known()
    end = summary.window.end
    period = summary.analysis_minutes
    incidents = [
        i.model_copy(update={"context": judge.context_of(i, end, known, period=period)}) for i in summary.incidents
    ]
    notes = [*nearby.server_said_again(summary.notes, server), *judge.notes_of(gathered.reasons, SOURCES)]
    return summary.model_copy(update={"incidents": incidents, "notes": notes})


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
