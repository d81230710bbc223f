"""`get_agent_metrics` with the context of each incident: what the platform knew around its onset.

Deploys, alerts, infrastructure events and restarts are fetched beside the metrics, not after them: none
of them needs the onset, and they are small. The failing step needs the worst error incident, so it can only
be read after the metrics, in two round trips (its error traces listed, then a sample's steps read at once:
`service.failing`).

How long the answer waits, one rule (`_cut`), for a call at most 1.3x as long as its metrics alone: what was asked
beside the metrics costs no round trip after them, and is waited for until it comes (`nearby.SHARE` of the call's
budget at most: what has not come by then is one note, as is a route the server does not have). The failing step
is read from the moment the metrics are in, and waited for until the rest has come or `ALLOWANCE` (a tenth) of the
metrics' own time has passed since them, whichever is later; the rest of the 1.3x is left for the context's own
cost (its requests beside the metrics, and the judging and attaching after the wait: `bench context` measures it).
A failing step not read by then is one line under its incident naming the traces call that shows it; the read goes
on in the background, and is kept for that call and the next metrics call.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime

import anyio

from astro_mcp.analysis import context as judge
from astro_mcp.analysis.compare import Mode
from astro_mcp.analysis.results.metrics import Incident, MetricsSummary
from astro_mcp.api.cache import SingleFlightCache
from astro_mcp.domain import AgentRef, MetricsQuery
from astro_mcp.errors import AstroError
from astro_mcp.service import nearby
from astro_mcp.service.failing import FailingSteps
from astro_mcp.service.metrics import MetricsCases
from astro_mcp.service.upstream import Upstream

ALLOWANCE = 0.1  # of the metrics' own time, the most the answer waits for the failing step once the rest is in
_KEPT = 256  # explained summaries kept, like the summaries themselves, for the cache's TTL
SOURCES = (*nearby.AROUND, "trace steps")


@dataclasses.dataclass(frozen=True, slots=True)
class Stepped:
    """The failing steps of the sample read for an answer, why there are none, and the incident whose failing
    step was still being read when it was sent."""

    steps: Sequence[judge.Step] | None
    reason: str | None = None
    pending: Incident | None = None


class ContextCases:
    """`get_agent_metrics`: an agent's summary, each incident with the evidence around its onset."""

    def __init__(self, upstream: Upstream, metrics: MetricsCases, failing: FailingSteps) -> None:
        self._up = upstream
        self._metrics = metrics
        self._failing = failing
        self._explained: SingleFlightCache[tuple[MetricsQuery, Mode], tuple[MetricsSummary, nearby.Gathered]] = (
            SingleFlightCache(_KEPT, lambda _: 1)
        )
        self._made = _LastMade(_KEPT)

    async def summary(self, query: MetricsQuery, compare: Mode = "previous", *, deadline: float) -> MetricsSummary:
        """`MetricsCases.summary`, each incident with its context; only the metrics can fail the call (`AstroError`)."""
        began = anyio.current_time()
        cuts: list[float] = []  # when the wait for the failing step ends, where this call fetched the metrics
        summary, gathered = await self._explained.get(
            (query, compare), self._up.ttl(query), lambda: self._explain(query, compare, began, deadline, cuts)
        )
        if not summary.incidents:
            return summary
        cut = cuts[0] if cuts else self._cut(began, deadline)
        stepped = await self._sample(query.agent, _worst(summary), cut)
        server = self._up.routes.generation()
        parts = (summary, gathered, stepped.steps, stepped.pending, stepped.reason, server)
        return self._made.get((query, compare), parts, lambda: _attached(summary, gathered, stepped, server))

    def _cut(self, began: float, deadline: float) -> float:
        """The one rule: when the answer stops waiting for the failing step, for metrics that came in just now (or
        when the rest of the context has come, if later)."""
        now = anyio.current_time()
        return min(deadline, began + self._up.settings.call_budget * nearby.SHARE, now + ALLOWANCE * (now - began))

    async def _explain(
        self, query: MetricsQuery, compare: Mode, began: float, deadline: float, cuts: list[float]
    ) -> tuple[MetricsSummary, nearby.Gathered]:
        until, share = nearby.share_of(self._up.settings, deadline)
        gathered = nearby.Gathered()
        found: list[MetricsSummary] = []
        failures: list[AstroError] = []
        waits = anyio.CancelScope()

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

        async def around() -> None:
            with waits:
                await nearby.gather(self._up.around, query.agent, gathered, until)

        async with anyio.create_task_group() as tg:
            tg.start_soon(main)
            tg.start_soon(around)
        if failures:
            raise failures[0]
        gathered.late(nearby.AROUND, share)
        return found[0], gathered

    async def _sample(self, agent: AgentRef, worst: Incident | None, cut: float) -> Stepped:
        """The failing steps of a sample of the worst error incident's error traces if they are read by `cut`;
        else that incident, whose read goes on in the background."""
        if worst is None:
            return Stepped(())  # nothing to read
        if not await self._up.around.shows_steps():
            return Stepped(None, judge.NOT_SERVED)
        try:
            sample = await self._failing.within(agent, *_window(worst), cut - anyio.current_time())
        except AstroError as err:
            return Stepped(None, nearby.unread(err))
        if sample is None:
            return Stepped(None, pending=worst)
        return Stepped(sample.steps) if sample.steps is not None else Stepped(None, judge.NOT_SERVED)


class _LastMade:
    """The last summary with its context made for each question, and what it was made of: a call whose parts are
    the very objects the caches handed out last time (and the same notes) gets that summary back, the same object,
    whose answer `render.answer` keeps: a repeated call is not rendered again."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._last: dict[tuple[MetricsQuery, Mode], tuple[tuple[object, ...], MetricsSummary]] = {}

    def get(
        self, key: tuple[MetricsQuery, Mode], parts: tuple[object, ...], make: Callable[[], MetricsSummary]
    ) -> MetricsSummary:
        last = self._last.pop(key, None)
        if last is None or not all(a is b or (type(a) is str and a == b) for a, b in zip(last[0], parts, strict=True)):
            last = (parts, make())
        self._last[key] = last  # the most recent last: past `size`, the oldest goes
        if len(self._last) > self._size:
            del self._last[next(iter(self._last))]
        return last[1]


def _worst(summary: MetricsSummary) -> Incident | None:
    """The incident whose failing step is read: the first (worst) with errors among its signals."""
    return next((i for i in summary.incidents if "error_rate" in i.metrics), None)


def _window(incident: Incident) -> tuple[datetime, datetime]:
    """The window the incident's traces call reads, and the failing step is kept under: what the model is told."""
    call = incident.traces_call
    return datetime.fromisoformat(call.start_time), datetime.fromisoformat(call.end_time)


def _attached(summary: MetricsSummary, gathered: nearby.Gathered, stepped: Stepped, server: str) -> MetricsSummary:
    """The summary with each incident's context, the notes on what could not be read, and the line on which server
    answered said again: the context's routes may have taught it more since the metrics came."""
    known = dataclasses.replace(gathered.as_known(), steps=stepped.steps)
    end = summary.window.end
    period = summary.analysis_minutes
    incidents = [
        i.model_copy(update={"context": judge.context_of(i, end, known, pending=i is stepped.pending, period=period)})
        for i in summary.incidents
    ]
    reasons = {**gathered.reasons, **({"trace steps": stepped.reason} if stepped.reason else {})}
    notes = [*nearby.server_said_again(summary.notes, server), *judge.notes_of(reasons, SOURCES)]
    return summary.model_copy(update={"incidents": incidents, "notes": notes})
