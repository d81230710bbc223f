"""Print what get_agent_metrics answers for the simulator's zoo agents, over 1 hour, 24 hours and 7 days.

    uv run python scripts/zoo_answers.py                       # every zoo agent, three windows each
    uv run python scripts/zoo_answers.py silent-after-errors   # just these agents
    uv run python scripts/zoo_answers.py --head                # the verdict only: the lines before the figures
    uv run python scripts/zoo_answers.py --window=now-24h      # one window instead of three

The simulator runs on loopback with its clock stopped at 2026-11-25 09:52:30 UTC (its incidents are placed
relative to 09:00), and the server is called through a real MCP client, as a model would call it.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

import anyio
from mcp import Client
from mcp.types import TextContent
from pydantic import SecretStr

from astro_mcp.config import Settings
from astro_mcp.server import create_server
from astro_mcp.sim.app import DEMO_TOKEN, Simulator
from astro_mcp.sim.serve import serve_simulator
from astro_mcp.sim.zoo import ZOO

NOW = datetime(2026, 11, 25, 9, 52, 30, tzinfo=UTC)
ANCHOR = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
WINDOWS = ("now-1h", "now-24h", "now-7d")


async def main(names: list[str], head_only: bool, windows: tuple[str, ...]) -> None:
    async with serve_simulator(Simulator(anchor=ANCHOR, clock=lambda: NOW)) as url:
        settings = Settings(api_url=url, access_token=SecretStr(DEMO_TOKEN))
        async with Client(create_server(settings, clock=lambda: NOW)) as client:
            for name in names:
                for start in windows:
                    args = {"account": "zoo", "name": name, "start_time": start}
                    result = await client.call_tool("get_agent_metrics", args)
                    text = "\n".join(c.text for c in result.content if isinstance(c, TextContent))
                    sys.stdout.write(f"$ get_agent_metrics(account='zoo', name='{name}', start_time='{start}')\n")
                    sys.stdout.write((text.split("\n\n")[0] if head_only else text) + "\n\n")


if __name__ == "__main__":
    logging.disable(logging.INFO)  # the HTTP requests' log lines would drown the answers
    chosen = [a for a in sys.argv[1:] if not a.startswith("--")] or list(ZOO)
    window = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--window=")), None)
    anyio.run(main, chosen, "--head" in sys.argv, (window,) if window else WINDOWS)
