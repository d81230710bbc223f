"""Print the "why did checkout-agent break?" exchange of docs/tools.md: the account's overview (the agents that
need attention, with what happened around their onset), one get_agent_metrics call, then one get_agent_traces
call with the error incident's traces_call, as a model makes them.

    uv run python scripts/why_exchange.py

The simulator runs on loopback with its clock stopped at 2026-11-25 09:52:30 UTC (its incidents are placed
relative to 09:00), and the server is called through a real MCP client. Printed: the arguments of each call,
and the lines of each answer a model reads for the question (the rows needing attention; the incident, its cost
and context; the error traces' groups and failing step, without the traces themselves).
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

import anyio
from mcp import Client
from mcp.types import CallToolResult, TextContent
from pydantic import SecretStr

from astro_mcp.config import Settings
from astro_mcp.server import create_server
from astro_mcp.sim.app import DEMO_TOKEN, Simulator
from astro_mcp.sim.serve import serve_simulator

NOW = datetime(2026, 11, 25, 9, 52, 30, tzinfo=UTC)
ANCHOR = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
AGENT = {"account": "astro-team", "name": "checkout-agent"}


def text(result: CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


def said(tool: str, args: dict[str, Any], lines: list[str]) -> None:
    shown = ", ".join(f"{k}={v!r}" for k, v in args.items())
    sys.stdout.write(f"→ {tool}({shown})\n" + "\n".join(lines) + "\n\n")


async def main() -> None:
    async with serve_simulator(Simulator(anchor=ANCHOR, clock=lambda: NOW)) as url:
        settings = Settings(api_url=url, access_token=SecretStr(DEMO_TOKEN))
        async with Client(create_server(settings, clock=lambda: NOW)) as client:
            account = {"account": AGENT["account"]}
            rows = text(await client.call_tool("get_account_overview", account)).split("\n\n")[1]
            said("get_account_overview", account, rows.split("The others:")[0].splitlines())
            metrics = await client.call_tool("get_agent_metrics", AGENT)
            answer = text(metrics).splitlines()
            start = next(i for i, line in enumerate(answer) if line.startswith("Incidents"))
            end = next(i for i, line in enumerate(answer) if line.startswith("Against "))
            said("get_agent_metrics", AGENT, answer[:2] + answer[start:end])
            incident = next(i for i in (metrics.structured_content or {})["incidents"] if "error_rate" in i["metrics"])
            call = {k: v for k, v in incident["traces_call"].items() if k != "status"}  # 'error' is the default
            listed = text(await client.call_tool("get_agent_traces", call)).splitlines()
            said("get_agent_traces", call, listed[: listed.index("")])


if __name__ == "__main__":
    logging.disable(logging.INFO)
    anyio.run(main)
