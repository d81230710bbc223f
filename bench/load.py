"""`python -m bench load`: concurrent calls over streamable HTTP (astro-mcp and the naive wrapper, interleaved),
and sequential calls over stdio."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
from mcp import Client, StdioServerParameters

from astro_mcp.sim.app import Simulator
from bench.common import HERE, env_for, ms, out, pct, timed
from bench.latency import window_args

METRICS_TOOL = "get_agent_metrics"


LOAD_WINDOWS = [(hours, 60) for hours in (1, 6, 24, 48, 168)]


@dataclass
class Loaded:
    """One load run: throughput and latencies of the calls, and what reached the API."""

    throughput: float
    latencies: list[float]
    errors: int
    upstream: int
    connections: int


async def load(url: str, simulator: Simulator, rounds: int = 3) -> None:
    """400 calls at once over streamable HTTP: astro-mcp (cache on and off) and the naive wrapper, interleaved."""
    agents = ["weather-agent", "support-bot", "checkout-agent", "batch-agent"]
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    calls = [
        window_args(agents[k % 4], end, 0, interval) | {"start_time": f"{end - timedelta(hours=h):%Y-%m-%dT%H:%M:%SZ}"}
        for k, (h, interval) in enumerate(LOAD_WINDOWS * 80)
    ]
    off = {"ASTRO_MCP_CACHE_TTL": "0", "ASTRO_MCP_LIVE_CACHE_TTL": "0"}
    servers: dict[str, tuple[list[str], dict[str, str], str]] = {
        "naive wrapper (baseline)": ([str(HERE / "naive_server.py")], {}, "get_metrics"),
        "astro-mcp, cache on (defaults)": (["-m", "astro_mcp", "--transport", "streamable-http"], {}, METRICS_TOOL),
        "astro-mcp, cache off": (["-m", "astro_mcp", "--transport", "streamable-http"], off, METRICS_TOOL),
    }
    runs: dict[str, list[Loaded]] = {name: [] for name in servers}
    for _ in range(rounds):
        for name, (command, extra, tool) in servers.items():
            runs[name].append(await http_load(url, simulator, command, extra, tool, calls))
    out(f"## Load: 400 concurrent calls over streamable HTTP (8 sessions, 50 at once each; median of {rounds} rounds)")
    out("| server | throughput | ratio | p50 | p99 | errors | upstream requests | upstream connections |")
    out("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    baseline = statistics.median(r.throughput for r in runs[next(iter(servers))])
    for name, seen in runs.items():
        mid = sorted(seen, key=lambda r: r.throughput)[len(seen) // 2]
        out(
            f"| {name} | {mid.throughput:,.0f} calls/s | {mid.throughput / baseline:.2f} "
            f"| {ms(pct(mid.latencies, 50))} | {ms(pct(mid.latencies, 99))} | {mid.errors} | {mid.upstream} "
            f"| {mid.connections} |"
        )
    out()
    await sequential_stdio(url, simulator, agents, ["now-1h", "now-6h", "now-24h", "now-2d", "now-7d"])


async def http_load(
    url: str,
    simulator: Simulator,
    command: list[str],
    extra: dict[str, str],
    tool: str,
    calls: list[dict[str, Any]],
    sessions: int = 8,
) -> Loaded:
    """`calls` spread over `sessions` clients, every call of a client at once, against a server on loopback."""
    port = 18000 + os.getpid() % 1000
    # 400 calls at once are 400 connections for a client of the 2026-07-28 protocol (one POST each): above the
    # default cap of 256 open connections (ASTRO_MCP_MAX_CONNECTIONS), which this load is not about.
    wide = {"ASTRO_MCP_MAX_CONNECTIONS": "1024", **extra}
    server = await anyio.open_process(
        [sys.executable, *command, "--port", str(port)]
        if "astro_mcp" in command
        else [sys.executable, *command, str(port)],
        env={**os.environ, **env_for(url, **wide)},
        stderr=subprocess.DEVNULL,
    )
    before = len(simulator.requests)
    latencies: list[float] = []
    errors = 0
    try:
        with anyio.fail_after(60):
            while True:
                try:
                    async with Client(f"http://127.0.0.1:{port}/mcp"):
                        break
                except Exception:  # not listening yet
                    await anyio.sleep(0.1)

        async def session(mine: list[dict[str, Any]]) -> None:
            nonlocal errors
            answered = 0
            try:
                async with Client(f"http://127.0.0.1:{port}/mcp") as client:

                    async def one(args: dict[str, Any]) -> None:
                        nonlocal errors, answered
                        took, result = await timed(client, tool, args)
                        latencies.append(took)
                        errors += bool(result.is_error)
                        answered += 1

                    async with anyio.create_task_group() as tg:
                        for args in mine:
                            tg.start_soon(one, args)
            except Exception:  # a connection the server dropped ends the client: its unanswered calls count as errors
                errors += len(mine) - answered

        started = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for i in range(sessions):
                tg.start_soon(session, calls[i::sessions])
        wall = time.perf_counter() - started
    finally:
        server.terminate()
        await server.wait()
    sent = simulator.requests[before:]
    return Loaded(len(calls) / wall, latencies, errors, len(sent), len({r.client for r in sent}))


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
