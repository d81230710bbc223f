"""The failing step of an agent's error traces over a window: a sample of them listed, then their steps read at
once, kept a short while under (agent, window) so the traces call over that window and the next metrics call find
it without reading it again.

Two dependent requests (list, then steps) come after a metrics answer that needs one: a metrics call does not
wait for them (see `context.ALLOWANCE`). It starts the read in a task group of the server's lifespan (`hosts`),
which owns it: the read ends with its answer, its failure, the call budget, or the server's shutdown, whichever
comes first. A traces call for error traces reads the steps of those it listed (one request more, at once).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import anyio
import anyio.abc

from astro_mcp.analysis import context as judge
from astro_mcp.api.cache import SingleFlightCache
from astro_mcp.api.platform_wire import TraceDetail
from astro_mcp.domain import AgentRef, Trace, TracesQuery
from astro_mcp.errors import AstroError, RequestTimeoutError, ResponseTooLargeError
from astro_mcp.service.upstream import Upstream

logger = logging.getLogger(__name__)

SAMPLE = 8  # error traces whose steps are read: one wave of the default fan-out bound
HEAVY = 20_000  # characters of a listed trace's input and output past which its steps are not read: its detail
# carries the same content again (megabytes, at times); the next one listed is read instead
_SPARE = 4  # error traces listed beyond the sample, to stand in for heavy ones
SAMPLE_BYTES = 1 << 20  # of a sampled trace's detail: its steps take kilobytes; past this, its input and output
# (megabytes at times, where the listing showed them cut) would cost the read far more than the step it shows
_KEPT = 256  # samples kept
Key = tuple[AgentRef, datetime, datetime]


@dataclass(frozen=True, slots=True)
class Sample:
    """The failing step of each sampled error trace; `steps` None where the server cannot show a trace's steps."""

    steps: tuple[judge.Step, ...] | None


class FailingSteps:
    """Samples of error traces' failing steps, per agent and window, read once and kept for `cache_ttl`."""

    def __init__(self, upstream: Upstream, hosts: list[anyio.abc.TaskGroup]) -> None:
        """`hosts`: the task groups the server's lifespan enters, which carry a read no call waits for any more."""
        self._up = upstream
        self._hosts = hosts
        self._kept: SingleFlightCache[Key, Sample] = SingleFlightCache(_KEPT, lambda _: 1)

    def start(self, agent: AgentRef, start: datetime, end: datetime) -> None:
        """Begin reading the sample over [start, end) in the server's task group, within the call budget, unless it
        is kept or being read already (or there is no such group: `within` then reads it while it waits)."""
        if self._hosts:
            self._kept.start(
                self._hosts[-1], (agent, start, end), self._up.settings.cache_ttl, self._fetch(agent, start, end)
            )

    async def within(self, agent: AgentRef, start: datetime, end: datetime, seconds: float) -> Sample | None:
        """The sample over [start, end) if it is ready within `seconds`, else None: the read goes on meanwhile
        (`start`). Raises `AstroError`: it failed."""
        self.start(agent, start, end)
        with anyio.move_on_after(max(0.0, seconds)):
            return await self._kept.get(
                (agent, start, end), self._up.settings.cache_ttl, self._fetch(agent, start, end)
            )
        return None

    def _fetch(self, agent: AgentRef, start: datetime, end: datetime) -> Callable[[], Awaitable[Sample]]:
        """The read of a sample, by the call budget from now."""
        deadline = anyio.current_time() + self._up.settings.call_budget

        async def fetch() -> Sample:
            try:
                with anyio.CancelScope(deadline=deadline) as scope:
                    return await self._listed_then_read(agent, start, end, deadline)
                assert scope.cancelled_caught
                raise RequestTimeoutError("the error traces' steps were not read within the call's budget")
            except AstroError as err:  # said to whoever waits then; logged for a read no call waits for any more
                logger.info("the failing step of %s could not be read: %s", agent, err)
                raise

        return fetch

    async def of_listed(
        self, query: TracesQuery, listed: Sequence[Trace], deadline: float | None
    ) -> tuple[judge.Step, ...] | None:
        """The failing steps of a sample of `listed` (the error traces a traces call found over its window), kept or
        read now; None where the server cannot show them. Raises `AstroError`: none could be read."""
        key, ttl = (query.agent, query.start, query.end), self._up.settings.cache_ttl
        found = await self._kept.get(key, ttl, lambda: self._read(query.agent, listed, deadline))
        return found.steps

    async def _listed_then_read(self, agent: AgentRef, start: datetime, end: datetime, deadline: float) -> Sample:
        if not await self._up.around.shows_steps():
            return Sample(None)
        query = TracesQuery(agent, start, end, "error", SAMPLE + _SPARE, 0)
        listed, _ = await self._up.traces(query, SAMPLE + _SPARE, deadline)
        return await self._read(agent, listed.traces, deadline)

    async def _read(self, agent: AgentRef, listed: Sequence[Trace], deadline: float | None) -> Sample:
        """The failing step of `SAMPLE` light traces of `listed`, the first ones, their steps read at once; one whose
        detail is over `SAMPLE_BYTES` is passed over for the next one listed. Raises `AstroError`: none was read."""
        if not await self._up.around.shows_steps():
            return Sample(None)
        candidates = iter([(t.trace_id, t.timestamp) for t in listed if t.trace_id and _light(t)])
        details: list[tuple[TraceDetail | None, datetime | None]] = []
        failures: list[AstroError] = []
        passed_over: list[AstroError] = []

        async def read() -> None:
            for trace_id, at in candidates:  # shared by the readers: each takes the next one listed
                try:
                    async with self._up.fan_out:
                        details.append((await self._up.around.trace(agent, trace_id, deadline, SAMPLE_BYTES), at))
                    return
                except ResponseTooLargeError as err:
                    passed_over.append(err)
                except AstroError as err:
                    failures.append(err)
                    return

        async with anyio.create_task_group() as tg:
            for _ in range(SAMPLE):
                tg.start_soon(read)
        if not details and (failures or passed_over):
            raise (failures or passed_over)[0]
        if any(d is None for d, _ in details):
            return Sample(None)
        return Sample(tuple(_failed_step(d, at) for d, at in details if d is not None))


def _light(trace: Trace) -> bool:
    sizes = (len(v) if isinstance(v, str) else len(json.dumps(v)) for v in (trace.input, trace.output) if v is not None)
    return sum(sizes) <= HEAVY


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
