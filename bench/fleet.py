"""`python -m bench fleet`: the account overview's concurrent fan-out, against a simulator delaying every answer.

One astro-mcp over stdio, as Claude Desktop runs it. Every call asks for a past window that no earlier
call asked for, so no window comes from the cache; an agent's week up to the hour is kept per hour, as for
any calls of the same hour (one row measures overviews each in an hour of its own, without it). `/me` and
`/deployments` are fetched by the first call and kept for a minute, as in a conversation that starts with
list_agents.
"""

from __future__ import annotations

import json
import statistics
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from mcp import Client, StdioServerParameters

from astro_mcp.sim.app import Simulator
from astro_mcp.sim.fleet import ACCOUNTS, ALL_AGENTS, SimAccount
from astro_mcp.sim.serve import serve_simulator
from bench.common import env_for, ms, out, result_chars, timed

DELAY_MS = 50.0
_HOUR = timedelta(hours=1, minutes=1)
_LARGE = ALL_AGENTS["large-org"]


def fleet_of(size: int) -> SimAccount:
    names = sorted(_LARGE)[:size]
    return SimAccount("team", "owner", dict.fromkeys(names, "Running"), agents={n: _LARGE[n] for n in names})


class Windows:
    """Distinct past 24-hour windows, one minute apart: each call misses the metrics cache."""

    def __init__(self) -> None:
        self.end = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=2)

    def next(self, back: timedelta = timedelta(minutes=1)) -> dict[str, str]:
        self.end -= back
        start = self.end - timedelta(hours=24)
        return {"start_time": f"{start:%Y-%m-%dT%H:%M:%SZ}", "end_time": f"{self.end:%Y-%m-%dT%H:%M:%SZ}"}


async def fleet(runs: int = 7) -> None:
    accounts = {**ACCOUNTS, **{f"fleet-{n}": fleet_of(n) for n in (1, 25)}}
    agents = {**ALL_AGENTS, **{name: a.agents for name, a in accounts.items() if name.startswith("fleet-")}}
    simulator = Simulator(accounts=accounts, agents=agents, latency_ms=DELAY_MS)
    windows = Windows()
    async with serve_simulator(simulator) as url:
        params = StdioServerParameters(command=sys.executable, args=["-m", "astro_mcp"], env=env_for(url))
        async with Client(params) as client:
            first, _ = await timed(client, "get_account_overview", {"account": "fleet-25", **windows.next()})
            simulator.max_in_flight = 0
            overview = [
                (await timed(client, "get_account_overview", {"account": "fleet-25", **windows.next()}))[0]
                for _ in range(runs)
            ]
            peak = simulator.max_in_flight
            # Each in an hour of its own: no agent's week (kept per hour) was read before.
            cold = [
                (await timed(client, "get_account_overview", {"account": "fleet-25", **windows.next(_HOUR)}))[0]
                for _ in range(3)
            ]
            windows.next(_HOUR)
            single = [
                (
                    await timed(
                        client, "get_agent_metrics", {"account": "fleet-25", "name": "agent-000", **windows.next()}
                    )
                )[0]
                for _ in range(runs)
            ]
            sequential = []
            for _ in range(3):
                window = windows.next()
                took = 0.0
                for name in sorted(accounts["fleet-25"].deployed):
                    took += (await timed(client, "get_agent_metrics", {"account": "fleet-25", "name": name, **window}))[
                        0
                    ]
                sequential.append(took)
            sizes = [await _size(client, account, windows.next()) for account in ("fleet-1", "fleet-25", "large-org")]
    o, s, q = statistics.median(overview), statistics.median(single), statistics.median(sequential)
    out(f"## Fleet: one overview of 25 agents, every simulated answer delayed {DELAY_MS:g} ms (stdio, median)")
    out("| what | time | ratio |")
    out("| --- | ---: | ---: |")
    out(f"| get_account_overview, 25 agents (bound 8 in flight) | {ms(o)} | 1.00 |")
    out(f"| 25 sequential get_agent_metrics calls, same client | {ms(q)} | {q / o:.1f}x the overview |")
    out(f"| one get_agent_metrics call | {ms(s)} | overview = {o / s:.1f}x this |")
    c = statistics.median(cold)
    out(f"| get_account_overview, the agents' weeks not yet read this hour | {ms(c)} | {c / s:.1f}x one call |")
    out(f"| first overview (also fetches /me and /deployments) | {ms(first)} | |")
    out()
    out(f"Upstream requests in flight at once during the overviews: at most {peak} (bound: 8).")
    out()
    out("## Fleet: size of the overview's answer (characters)")
    out("| agents | text | structuredContent | rows on the first page |")
    out("| ---: | ---: | ---: | ---: |")
    for count, text, structured, shown in sizes:
        out(f"| {count} | {text:,} | {structured:,} | {shown} |")
    out()


async def _size(client: Client, account: str, window: dict[str, str]) -> tuple[int, int, int, int]:
    _, result = await timed(client, "get_account_overview", {"account": account, **window})
    s: dict[str, Any] = result.structured_content or {}
    structured = len(json.dumps(s))
    shown = len(s.get("agents", []))
    return shown + int(s.get("more_agents", 0)), result_chars(result) - structured, structured, shown
