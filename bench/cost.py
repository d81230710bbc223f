"""`python -m bench cost`: what cost adds to a call, against a simulator delaying every answer by 50 ms.

The same server over stdio, against a simulator of the generation that serves the account's cost summary
(`both`) and one that does not (`documented`, which the server learns on its first call and never asks
again): the overview of 25 agents and one agent's metrics, with cost and without. Every call asks for a past
window no earlier call asked for, so nothing comes from a cache; each call's upstream requests are counted.
"""

from __future__ import annotations

import statistics
import sys
from typing import Any

from mcp import Client, StdioServerParameters

from astro_mcp.sim.app import Simulator
from astro_mcp.sim.fleet import ACCOUNTS, ALL_AGENTS
from astro_mcp.sim.platform import Generation
from astro_mcp.sim.serve import serve_simulator
from bench.common import env_for, ms, out, timed
from bench.fleet import DELAY_MS, Windows, fleet_of

_ACCOUNT = "fleet-25"


async def _calls(generation: Generation, runs: int) -> dict[str, tuple[list[float], list[int]]]:
    """Per tool: each call's time and upstream requests, after a first call of each that learns the routes."""
    accounts = {**ACCOUNTS, _ACCOUNT: fleet_of(25)}
    agents = {**ALL_AGENTS, _ACCOUNT: accounts[_ACCOUNT].agents}
    simulator = Simulator(accounts=accounts, agents=agents, latency_ms=DELAY_MS, generation=generation)
    windows = Windows()
    calls: dict[str, tuple[str, dict[str, Any]]] = {
        "overview": ("get_account_overview", {"account": _ACCOUNT}),
        "metrics": ("get_agent_metrics", {"account": _ACCOUNT, "name": "agent-000"}),
    }
    found: dict[str, tuple[list[float], list[int]]] = {what: ([], []) for what in calls}
    async with serve_simulator(simulator) as url:
        params = StdioServerParameters(command=sys.executable, args=["-m", "astro_mcp"], env=env_for(url))
        async with Client(params) as client:
            for tool, args in calls.values():
                await timed(client, tool, {**args, **windows.next()})
            for _ in range(runs):
                for what, (tool, args) in calls.items():
                    before = len(simulator.requests)
                    took, result = await timed(client, tool, {**args, **windows.next()})
                    assert not result.is_error, result
                    found[what][0].append(took)
                    found[what][1].append(len(simulator.requests) - before)
    return found


async def cost(runs: int = 9) -> None:
    without = await _calls("documented", runs)
    priced = await _calls("both", runs)
    out(f"## Cost: what the cost figures add, every simulated answer delayed {DELAY_MS:g} ms (stdio, median)")
    out("| call | without cost | with cost | ratio | upstream requests without → with |")
    out("| --- | ---: | ---: | ---: | ---: |")
    for what, label in (("overview", "get_account_overview, 25 agents"), ("metrics", "get_agent_metrics, 1 agent")):
        t0, t1 = statistics.median(without[what][0]), statistics.median(priced[what][0])
        r0, r1 = statistics.median(without[what][1]), statistics.median(priced[what][1])
        out(f"| {label} | {ms(t0)} | {ms(t1)} | {t1 / t0:.2f}x | {r0:g} → {r1:g} |")
    out()
