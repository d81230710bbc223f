"""`python -m bench traces`: the p95 fetch's cost to get_agent_metrics, and the traces answer's size.

The simulator answers every request 50 ms late, as a distant API would; the caches are off.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from mcp import Client
from mcp.types import TextContent
from pydantic import SecretStr

from astro_mcp.config import Settings
from astro_mcp.server import create_server
from astro_mcp.service import Service
from astro_mcp.sim.app import DEMO_TOKEN, Simulator
from astro_mcp.sim.serve import serve_simulator

DELAY_MS = 50.0
SPIKE_HOURS = 6  # support-bot's spike starts this long before the simulator's anchor


def out(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


async def median_ms(call: Callable[[], Awaitable[object]], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


async def traces(runs: int = 30) -> None:
    simulator = Simulator(latency_ms=DELAY_MS)
    async with serve_simulator(simulator) as url:
        settings = Settings(api_url=url, access_token=SecretStr(DEMO_TOKEN), cache_ttl=0, live_cache_ttl=0)
        service = Service(settings, lambda: datetime.now(UTC))
        query = service.read.metrics("astro-team", "support-bot", "now-24h", None, None)
        await service.metrics.summary(query, "none")  # warm-up: connections, the simulator's per-day data
        without = await median_ms(lambda: service.metrics.summary(query, "none", with_p95=False), runs)
        with_p95 = await median_ms(lambda: service.metrics.summary(query, "none"), runs)
        await service.aclose()
        out(f"## get_agent_metrics with the p95 fetch, {DELAY_MS:.0f} ms per API call ({runs} calls, median)")
        out("| metrics only | metrics + summary (concurrent) | ratio |")
        out("| ---: | ---: | ---: |")
        out(f"| {without:.1f} ms | {with_p95:.1f} ms | {with_p95 / without:.2f} |")
        out()
        out("## get_agent_traces answer size: support-bot's spike, with a 5 MB input among the traces")
        out("| limit | content | traces shown | text + structured characters | bound |")
        out("| ---: | --- | ---: | ---: | ---: |")
        spike = {"account": "astro-team", "name": "support-bot", "start_time": "now-7d"}
        for mode in ("truncated", "full"):
            async with Client(create_server(settings.model_copy(update={"trace_content": mode}))) as client:
                for limit in (10, 50):
                    result = await client.call_tool("get_agent_traces", {**spike, "limit": limit})
                    text = sum(len(c.text) for c in result.content if isinstance(c, TextContent))
                    size = text + len(json.dumps(result.structured_content, separators=(",", ":")))
                    shown = len((result.structured_content or {}).get("traces", []))
                    out(f"| {limit} | {mode} | {shown} | {size:,} | 12,000 |")
        out()
