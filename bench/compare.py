"""`uv run python -m bench.compare`: what the comparison costs, with the API's answers delayed by 50 ms.

A call with compare='previous' fetches two windows; both are fetched at once, so against a call
with compare='none' it should cost well under twice as much. Cache off, calls interleaved.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

import anyio
from mcp import Client
from pydantic import SecretStr

from astro_mcp.config import Settings
from astro_mcp.server import create_server
from astro_mcp.sim.app import DEMO_TOKEN, Simulator
from astro_mcp.sim.serve import serve_simulator

RUNS = 21
DELAY_MS = 50.0


async def measure(runs: int = RUNS) -> dict[str, list[float]]:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    simulator = Simulator(anchor=now - timedelta(hours=1), clock=lambda: now, latency_ms=DELAY_MS)
    times: dict[str, list[float]] = {"none": [], "previous": []}
    async with serve_simulator(simulator) as url:
        settings = Settings(
            api_url=url, access_token=SecretStr(DEMO_TOKEN), cache_ttl=0, live_cache_ttl=0, log_level="WARNING"
        )
        async with Client(create_server(settings, clock=lambda: now)) as client:
            for run in range(runs + 1):
                for mode in times:
                    started = time.perf_counter()
                    arguments = {"account": "astro-team", "name": "support-bot", "compare": mode}
                    result = await client.call_tool("get_agent_metrics", arguments)
                    assert not result.is_error
                    if run:  # the first round warms up the simulator's day cache
                        times[mode].append(time.perf_counter() - started)
    return times


def main() -> None:
    times = anyio.run(measure)
    none, previous = (statistics.median(times[m]) for m in ("none", "previous"))
    sys.stdout.write(
        f"24 h at 60 min, API delayed {DELAY_MS:.0f} ms, {RUNS} runs each, median: compare='none' "
        f"{none * 1000:.1f} ms, compare='previous' {previous * 1000:.1f} ms, ratio {previous / none:.2f}x\n"
    )


if __name__ == "__main__":
    main()
