"""`python -m bench context`: what an incident's context (deploys, alerts, events, restarts, the failing step)
adds to get_agent_metrics, against a simulator that delays every answer by 50 ms, caches off.

The same use case with its context (what the tool calls) and without it (the summary alone, as before), in
turns, in the same run; each call's upstream requests counted, those it left running included. The answer
waits for the failing step a tenth of its metrics' time at most (`service.context.ALLOWANCE`); the read goes on
in a task group that stands for the server's lifespan, and the time until it ends ("failing step ready") is
shown beside the answer's. billing-agent has one incident (ongoing): the budget is 1.3x. checkout-agent (two
incidents, one onset), support-bot (a spike that is over) and weather-agent (healthy: no incident, so no
failing step to read) are shown beside it.

Then the overview: the same use case with its worst rows' context (what the tool calls) and without it (the
rows alone, as before), in turns, for the `zoo` account (ten agents, one situation each).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import anyio
import anyio.abc
from pydantic import SecretStr

from astro_mcp.analysis.results.overview import AccountOverview
from astro_mcp.config import Settings
from astro_mcp.domain import MetricsQuery
from astro_mcp.service import Service
from astro_mcp.service.fleet import FleetCases
from astro_mcp.sim.app import DEMO_TOKEN, Simulator
from astro_mcp.sim.serve import serve_simulator
from bench.common import out

DELAY_MS = 50.0
BUDGET = 1.3
AGENTS = ("billing-agent", "checkout-agent", "support-bot", "weather-agent")
ACCOUNT = "zoo"
Timed = tuple[float, float, int]  # the answer's time, the time until what it started has ended, requests


def _calls(
    service: Service, hosts: list[anyio.abc.TaskGroup], query: MetricsQuery
) -> tuple[Callable[[], Awaitable[float]], ...]:
    """The summary alone, and with its context, each with a fresh deadline; each gives the time its answer took,
    and is over once what it left running (the failing step's read) has ended."""
    budget = service.settings.call_budget

    async def plain() -> float:
        started = time.perf_counter()
        await service.metrics.summary(query, deadline=anyio.current_time() + budget)
        return time.perf_counter() - started

    async def explained() -> float:
        async with anyio.create_task_group() as tg:  # stands for the server's lifespan
            hosts.append(tg)
            started = time.perf_counter()
            await service.context.summary(query, deadline=anyio.current_time() + budget)
            answered = time.perf_counter() - started
        hosts.remove(tg)
        return answered

    return plain, explained


async def _timed(simulator: Simulator, call: Callable[[], Awaitable[float]]) -> Timed:
    before = len(simulator.requests)
    started = time.perf_counter()
    answered = await call()
    return answered, time.perf_counter() - started, len(simulator.requests) - before


def _median(timings: list[Timed], k: int) -> float:
    return statistics.median(t[k] for t in timings)


async def context(runs: int = 15) -> None:
    simulator = Simulator(latency_ms=DELAY_MS)
    hosts: list[anyio.abc.TaskGroup] = []
    async with serve_simulator(simulator) as url:
        settings = Settings(api_url=url, access_token=SecretStr(DEMO_TOKEN), cache_ttl=0, live_cache_ttl=0)
        service = Service(settings, lambda: datetime.now(UTC), hosts=hosts)
        rows = []
        for name in AGENTS:
            query = service.read.metrics("astro-team", name, "now-24h", None, None)
            plain, explained = _calls(service, hosts, query)
            await explained()  # warm-up: connections, the route map, the deployment ids, the simulator's days
            timings: dict[str, list[Timed]] = {"without": [], "with": []}
            for _ in range(runs):
                timings["without"].append(await _timed(simulator, plain))
                timings["with"].append(await _timed(simulator, explained))
            summary = await service.metrics.summary(query, deadline=anyio.current_time() + settings.call_budget)
            rows.append((name, len(summary.incidents), timings))
        await service.aclose()
    out(f"## An incident's context, {DELAY_MS:.0f} ms per API call ({runs} calls each, median, caches off)")
    out(
        "| agent | incidents | summary alone | with the context | ratio | failing step ready | ratio "
        "| requests alone → with |"
    )
    out("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, incidents, timings in rows:
        alone, both, ready = (
            _median(timings["without"], 0) * 1000,
            _median(timings["with"], 0) * 1000,
            _median(timings["with"], 1) * 1000,
        )
        asked = _median(timings["without"], 2), _median(timings["with"], 2)
        out(
            f"| {name} | {incidents} | {alone:.1f} ms | {both:.1f} ms | {both / alone:.2f}x | {ready:.1f} ms "
            f"| {ready / alone:.2f}x | {asked[0]:g} → {asked[1]:g} |"
        )
    first = rows[0][2]
    ratio = _median(first["with"], 0) / _median(first["without"], 0)
    out(f"Budget {BUDGET}x for {rows[0][0]} (one incident): {'within' if ratio <= BUDGET else 'OVER'}.")
    out()
    await overview_context(runs)


async def _as_it_was(self: FleetCases, o: AccountOverview, *_: object) -> AccountOverview:
    return o


async def overview_context(runs: int) -> None:
    """The overview of `ACCOUNT` with its worst rows' context and without it, in turns, against the same delay."""
    simulator = Simulator(latency_ms=DELAY_MS)
    async with serve_simulator(simulator) as url:
        settings = Settings(api_url=url, access_token=SecretStr(DEMO_TOKEN), cache_ttl=0, live_cache_ttl=0)
        service = Service(settings, lambda: datetime.now(UTC))
        window, _, _ = service.read.overview_page(ACCOUNT, None, None, None)
        found: list[AccountOverview] = []

        async def explained() -> float:
            started = time.perf_counter()
            found.append(await service.fleet.overview(window, anyio.current_time() + settings.call_budget))
            return time.perf_counter() - started

        async def plain() -> float:
            explain = FleetCases._explained
            FleetCases._explained = _as_it_was  # type: ignore[method-assign,assignment]
            started = time.perf_counter()
            try:
                await service.fleet.overview(window, anyio.current_time() + settings.call_budget)
            finally:
                FleetCases._explained = explain  # type: ignore[method-assign]
            return time.perf_counter() - started

        await explained()  # warm-up: connections, the route map, /me and the deployments (kept a minute, as in use)
        timings: dict[str, list[Timed]] = {"without": [], "with": []}
        for _ in range(runs):
            timings["without"].append(await _timed(simulator, plain))
            timings["with"].append(await _timed(simulator, explained))
        await service.aclose()
    explained_rows = sum(r.context is not None for r in found[-1].agents)
    alone, both = (_median(timings[k], 0) * 1000 for k in ("without", "with"))
    asked = [_median(timings[k], 2) for k in ("without", "with")]
    out(f"## The overview's worst rows with their context, {DELAY_MS:.0f} ms per API call ({runs} calls each, median)")
    out("| account | agents | rows with context | rows alone | with their context | ratio | requests alone → with |")
    out("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    out(
        f"| {ACCOUNT} | {len(found[-1].agents)} | {explained_rows} | {alone:.1f} ms | {both:.1f} ms | "
        f"{both / alone:.2f}x | {asked[0]:g} → {asked[1]:g} |"
    )
    out()


if __name__ == "__main__":
    anyio.run(context)
