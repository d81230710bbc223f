"""`python -m bench context`: what an incident's context (deploys, alerts, events, restarts, the failing step)
adds to get_agent_metrics, against a simulator that delays every answer by 50 ms, caches off.

The same use case with its context (what the tool calls) and without it (the summary alone, as before), in
turns, in the same run; each call's upstream requests counted. A third column leaves out the failing step
(its sample of error traces, listed then read, two round trips after one another), to show what it costs.
billing-agent has one incident (ongoing):
the budget is 1.3x. checkout-agent (two incidents, one onset), support-bot (a spike that is over) and
weather-agent (healthy: no incident, so no failing step to read) are shown beside it.

Then the overview: the same use case with its worst rows' context (what the tool calls) and without it (the
rows alone, as before), in turns, for the `zoo` account (ten agents, one situation each).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import anyio
from pydantic import SecretStr

from astro_mcp.analysis.results.overview import AccountOverview
from astro_mcp.config import Settings
from astro_mcp.domain import MetricsQuery
from astro_mcp.service import Service
from astro_mcp.service.context import ContextCases
from astro_mcp.service.fleet import FleetCases
from astro_mcp.sim.app import DEMO_TOKEN, Simulator
from astro_mcp.sim.serve import serve_simulator
from bench.common import out

DELAY_MS = 50.0
BUDGET = 1.3
AGENTS = ("billing-agent", "checkout-agent", "support-bot", "weather-agent")
ACCOUNT = "zoo"


def _calls(service: Service, query: MetricsQuery) -> tuple[Callable[[], Awaitable[object]], ...]:
    """The summary alone, and with its context, each with a fresh deadline."""
    budget = service.settings.call_budget

    async def plain() -> object:
        return await service.metrics.summary(query, deadline=anyio.current_time() + budget)

    async def explained() -> object:
        return await service.context.summary(query, deadline=anyio.current_time() + budget)

    return plain, explained


async def _no_steps(*_: object) -> list[object]:
    return []


async def _timed(simulator: Simulator, call: Callable[[], Awaitable[object]]) -> tuple[float, int]:
    before = len(simulator.requests)
    started = time.perf_counter()
    await call()
    return time.perf_counter() - started, len(simulator.requests) - before


async def context(runs: int = 15) -> None:
    simulator = Simulator(latency_ms=DELAY_MS)
    async with serve_simulator(simulator) as url:
        settings = Settings(api_url=url, access_token=SecretStr(DEMO_TOKEN), cache_ttl=0, live_cache_ttl=0)
        service = Service(settings, lambda: datetime.now(UTC))
        rows = []
        for name in AGENTS:
            query = service.read.metrics("astro-team", name, "now-24h", None, None)

            plain, explained = _calls(service, query)

            await explained()  # warm-up: connections, the route map, the deployment ids, the simulator's days
            timings: dict[str, list[tuple[float, int]]] = {"without": [], "with": [], "no step": []}
            for _ in range(runs):
                timings["without"].append(await _timed(simulator, plain))
                timings["with"].append(await _timed(simulator, explained))
                sample = ContextCases._steps
                ContextCases._steps = _no_steps  # type: ignore[method-assign,assignment]
                timings["no step"].append(await _timed(simulator, explained))
                ContextCases._steps = sample  # type: ignore[method-assign]
            summary = await service.context.summary(query, deadline=anyio.current_time() + settings.call_budget)
            rows.append((name, len(summary.incidents), timings))
        await service.aclose()
    out(f"## An incident's context, {DELAY_MS:.0f} ms per API call ({runs} calls each, median, caches off)")
    out(
        "| agent | incidents | summary alone | with the context (concurrent) | ratio | without the failing step "
        "| ratio | requests alone → with |"
    )
    out("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, incidents, timings in rows:
        alone, both, nostep = (
            statistics.median(t for t, _ in timings[k]) * 1000 for k in ("without", "with", "no step")
        )
        asked = statistics.median(n for _, n in timings["without"]), statistics.median(n for _, n in timings["with"])
        out(
            f"| {name} | {incidents} | {alone:.1f} ms | {both:.1f} ms | {both / alone:.2f}x | {nostep:.1f} ms "
            f"| {nostep / alone:.2f}x | {asked[0]:g} → {asked[1]:g} |"
        )
    first = rows[0][2]
    ratio = statistics.median(t for t, _ in first["with"]) / statistics.median(t for t, _ in first["without"])
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

        async def explained() -> object:
            found.append(await service.fleet.overview(window, anyio.current_time() + settings.call_budget))
            return found[-1]

        async def plain() -> object:
            explain = FleetCases._explained
            FleetCases._explained = _as_it_was  # type: ignore[method-assign,assignment]
            try:
                return await service.fleet.overview(window, anyio.current_time() + settings.call_budget)
            finally:
                FleetCases._explained = explain  # type: ignore[method-assign]

        await explained()  # warm-up: connections, the route map, /me and the deployments (kept a minute, as in use)
        timings: dict[str, list[tuple[float, int]]] = {"without": [], "with": []}
        for _ in range(runs):
            timings["without"].append(await _timed(simulator, plain))
            timings["with"].append(await _timed(simulator, explained))
        await service.aclose()
    explained_rows = sum(r.context is not None for r in found[-1].agents)
    alone, both = (statistics.median(t for t, _ in timings[k]) * 1000 for k in ("without", "with"))
    asked = [statistics.median(n for _, n in timings[k]) for k in ("without", "with")]
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
