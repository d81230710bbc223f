"""`uv run python -m bench.profile [calls]`: where the CPU of `get_agent_metrics` calls goes, by cProfile.

An in-memory client, the server and the simulator share this process (cache on, as deployed), so the
shares show the server's own work beside the simulator's and the SDK client's. Compare shares, not times.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
from datetime import UTC, datetime, timedelta

import anyio
from mcp import Client
from pydantic import SecretStr

from astro_mcp.config import Settings
from astro_mcp.server import create_server
from astro_mcp.sim.app import DEMO_TOKEN, Simulator
from astro_mcp.sim.serve import serve_simulator
from bench.load import LOAD_WINDOWS, METRICS_TOOL

AGENTS = ["weather-agent", "support-bot", "checkout-agent", "batch-agent"]


async def profile(calls: int) -> None:
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    args = [
        {
            "account": "astro-team",
            "name": AGENTS[k % 4],
            "start_time": f"{end - timedelta(hours=hours):%Y-%m-%dT%H:%M:%SZ}",
            "end_time": f"{end:%Y-%m-%dT%H:%M:%SZ}",
            "interval": interval,
        }
        for k, (hours, interval) in enumerate((LOAD_WINDOWS * calls)[:calls])
    ]
    async with serve_simulator(Simulator()) as url:
        settings = Settings(api_url=url, access_token=SecretStr(DEMO_TOKEN), log_level="WARNING")
        async with Client(create_server(settings)) as client:
            await client.call_tool(METRICS_TOOL, args[0])  # the first call makes the service
            profiler = cProfile.Profile()
            profiler.enable()
            for one in args:
                assert not (await client.call_tool(METRICS_TOOL, one)).is_error
            profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    anyio.run(profile, int(sys.argv[1]) if len(sys.argv) > 1 else 200)
