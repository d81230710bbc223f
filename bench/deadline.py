"""`python -m bench deadline`: one call's budget against agents that never answer.

An account of 500 deployed agents (the simulator's `large-org`), of which every tenth hangs: the simulator
holds its metrics request open until the client goes away. One astro-mcp over stdio, as Claude Desktop
runs it, with `ASTRO_MCP_CALL_BUDGET` set; one `get_account_overview` per budget. Printed: the call's time
against its budget, and how many rows were answered, timed out, or failed otherwise. Bounded: each call
ends by its budget (plus the overrun measured), and the hanging requests end when the client goes.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from mcp import Client, StdioServerParameters

from astro_mcp.sim.app import Scripted, Simulator
from astro_mcp.sim.fleet import ACCOUNTS, ALL_AGENTS
from astro_mcp.sim.serve import serve_simulator
from bench.common import env_for, out, timed

ACCOUNT = "large-org"
HANGING = sorted(ACCOUNTS[ACCOUNT].deployed)[::10]  # every tenth agent: 50 of 500
BUDGETS = (5.0, 10.0, 25.0)
HANG = Scripted(delay=3600)  # held open until the client disconnects


async def deadline() -> None:
    rows = []
    for budget in BUDGETS:
        simulator = Simulator(accounts=ACCOUNTS, agents=ALL_AGENTS)
        for name in HANGING:
            simulator.script(ACCOUNT, name, *[HANG] * 4)  # whatever the overview asks of it hangs
        async with serve_simulator(simulator) as url:
            env = env_for(url, ASTRO_MCP_CALL_BUDGET=f"{budget:g}", ASTRO_MCP_CACHE_TTL="0")
            params = StdioServerParameters(command=sys.executable, args=["-m", "astro_mcp"], env=env)
            async with Client(params) as client:
                await client.call_tool("list_agents", {"account": ACCOUNT})  # start-up and /me outside the timing
                end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
                start = end - timedelta(hours=24)
                window = {"start_time": f"{start:%Y-%m-%dT%H:%M:%SZ}", "end_time": f"{end:%Y-%m-%dT%H:%M:%SZ}"}
                took, result = await timed(client, "get_account_overview", {"account": ACCOUNT, **window})
        content: dict[str, Any] = result.structured_content or {}
        statuses = [str(a.get("status")) for a in content.get("agents", [])]
        timed_out = sum("timed out" in str(a.get("error") or "") for a in content.get("agents", []))
        failed = statuses.count("failed") - timed_out
        answered = len(statuses) - timed_out - failed
        verdict = "within" if took <= budget + 2 else "OVER"
        rows.append(
            f"| {budget:g} s | {took:.2f} s | {took - budget:+.2f} s ({verdict} budget + 2 s) | {len(statuses)} "
            f"| {answered} | {timed_out} | {failed} | {'error' if result.is_error else 'answer'} |"
        )
    out(f"## Deadline: an overview of 500 agents, {len(HANGING)} of them hanging (stdio)")
    out("| budget | call | over the budget | rows | answered | timed out | failed otherwise | result |")
    out("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for row in rows:
        out(row)
    out()
