"""`python -m bench load`: concurrent calls over streamable HTTP, and sequential calls over stdio."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import anyio
from mcp import Client, StdioServerParameters

from astro_mcp.sim.app import Simulator
from bench.common import env_for, ms, out, pct, timed


async def load(url: str, simulator: Simulator) -> None:
    agents = ["weather-agent", "support-bot", "checkout-agent", "batch-agent"]
    windows = ["now-1h", "now-6h", "now-24h", "now-2d", "now-7d"]
    out("## Load: 400 concurrent calls over streamable HTTP (8 sessions, 50 calls at once each)")
    out("| cache | throughput | p50 | p99 | errors | upstream requests | upstream connections |")
    out("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, extra in (("on (defaults)", {}), ("off", {"ASTRO_MCP_CACHE_TTL": "0", "ASTRO_MCP_LIVE_CACHE_TTL": "0"})):
        await http_load(url, simulator, agents, windows, label, extra)
    out()
    await sequential_stdio(url, simulator, agents, windows)


async def http_load(
    url: str,
    simulator: Simulator,
    agents: list[str],
    windows: list[str],
    label: str,
    extra: dict[str, str],
    sessions: int = 8,
    per_session: int = 50,
) -> None:
    port = 18000 + os.getpid() % 1000
    # 400 calls at once are 400 connections for a client of the 2026-07-28 protocol (one POST each): above the
    # default cap of 256 open connections (ASTRO_MCP_MAX_CONNECTIONS), which this load is not about.
    wide = {"ASTRO_MCP_MAX_CONNECTIONS": "1024", **extra}
    server = await anyio.open_process(
        [sys.executable, "-m", "astro_mcp", "--transport", "streamable-http", "--port", str(port)],
        env={**os.environ, **env_for(url, **wide)},
        stderr=subprocess.DEVNULL,
    )
    before = len(simulator.requests)
    latencies: list[float] = []
    errors = 0
    try:
        with anyio.fail_after(30):
            while True:
                try:
                    async with Client(f"http://127.0.0.1:{port}/mcp"):
                        break
                except Exception:  # not listening yet
                    await anyio.sleep(0.1)

        async def session(index: int) -> None:
            nonlocal errors
            async with Client(f"http://127.0.0.1:{port}/mcp") as client:

                async def one(k: int) -> None:
                    nonlocal errors
                    args = {"account": "astro-team", "name": agents[(index + k) % 4], "start_time": windows[k % 5]}
                    took, result = await timed(client, "get_agent_metrics", args)
                    latencies.append(took)
                    errors += bool(result.is_error)

                async with anyio.create_task_group() as tg:
                    for k in range(per_session):
                        tg.start_soon(one, k)

        started = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for i in range(sessions):
                tg.start_soon(session, i)
        wall = time.perf_counter() - started
    finally:
        server.terminate()
        await server.wait()
    sent = simulator.requests[before:]
    total = sessions * per_session
    out(
        f"| {label} | {total / wall:,.0f} calls/s | {ms(pct(latencies, 50))} | {ms(pct(latencies, 99))} | {errors} "
        f"| {len(sent)} | {len({r.client for r in sent})} |"
    )


async def sequential_stdio(
    url: str, simulator: Simulator, agents: list[str], windows: list[str], calls: int = 200
) -> None:
    params = StdioServerParameters(command=sys.executable, args=["-m", "astro_mcp"], env=env_for(url))
    before = len(simulator.requests)
    latencies: list[float] = []
    errors = 0
    async with Client(params) as client:
        started = time.perf_counter()
        for k in range(calls):
            args = {"account": "astro-team", "name": agents[k % 4], "start_time": windows[k % 5]}
            took, result = await timed(client, "get_agent_metrics", args)
            latencies.append(took)
            errors += bool(result.is_error)
        wall = time.perf_counter() - started
    sent = simulator.requests[before:]
    out(f"## Load: {calls} sequential calls over stdio")
    out("| calls | throughput | p50 | p99 | errors | upstream requests | upstream connections |")
    out("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    out(
        f"| {calls} | {calls / wall:,.0f} calls/s | {ms(pct(latencies, 50))} | {ms(pct(latencies, 99))} | {errors} "
        f"| {len(sent)} | {len({r.client for r in sent})} |"
    )
    out()
