"""`python -m bench load`: concurrent calls over streamable HTTP (astro-mcp and the naive wrapper, interleaved), the
first call of a fresh HTTP server,
and sequential calls over stdio."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters

from astro_mcp.sim.app import Simulator
from bench.common import HERE, env_for, ms, out, pct, timed
from bench.latency import window_args
from bench.loadgen import ready

METRICS_TOOL = "get_agent_metrics"


LOAD_WINDOWS = [(hours, 60) for hours in (1, 6, 24, 48, 168)]
Server = tuple[list[str], dict[str, str], str]  # the command after `python`, its environment, the tool to call


@dataclass
class Loaded:
    """One load run: throughput and latencies of the calls, and the CPU time of each process on the load."""

    throughput: float
    latencies: list[float]
    errors: int
    cpu: float  # seconds of CPU (user + system) the server process spent on the load
    client_cpu: float  # the clients' process (the SDK client parses and checks every result)
    simulator_cpu: float


async def load(url: str, simulator: Simulator, rounds: int = 3) -> None:
    """400 calls at once over streamable HTTP: astro-mcp (cache on and off) and the naive wrapper, interleaved.

    The simulator, each server and the clients (`bench.loadgen`) run in processes of their own.
    """
    agents = ["weather-agent", "support-bot", "checkout-agent", "batch-agent"]
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    calls = [
        window_args(agents[k % 4], end, 0, interval) | {"start_time": f"{end - timedelta(hours=h):%Y-%m-%dT%H:%M:%SZ}"}
        for k, (h, interval) in enumerate(LOAD_WINDOWS * 80)
    ]
    off = {"ASTRO_MCP_CACHE_TTL": "0", "ASTRO_MCP_LIVE_CACHE_TTL": "0"}
    servers: dict[str, Server] = {
        "naive wrapper (baseline)": ([str(HERE / "naive_server.py")], {}, "get_metrics"),
        "astro-mcp, cache on (defaults)": (["-m", "astro_mcp", "--transport", "streamable-http"], {}, METRICS_TOOL),
        "astro-mcp, cache off": (["-m", "astro_mcp", "--transport", "streamable-http"], off, METRICS_TOOL),
    }
    runs: dict[str, list[Loaded]] = {name: [] for name in servers}
    async with simulator_process() as (upstream, simulator_pid):
        # One round of each first, not counted: the simulator draws an agent's data the first time it is asked for
        # (astro-mcp asks for more of it: the window before, a week of hours, deploys, traces), which the real
        # API does not do on this machine's CPUs.
        for command, extra, tool in servers.values():
            await http_load(upstream, simulator_pid, command, extra, tool, calls)
        for _ in range(rounds):
            for name, (command, extra, tool) in servers.items():
                runs[name].append(await http_load(upstream, simulator_pid, command, extra, tool, calls))
        firsts = await first_calls(upstream, servers, calls[0], rounds)
    out(
        f"## Load: 400 concurrent calls over streamable HTTP (8 sessions, 50 at once each; median of {rounds} "
        "rounds; simulator, server and clients each in a process of its own)"
    )
    out(
        "| server | throughput | ratio | p50 | p99 | errors | server CPU per call | ratio "
        "| clients' CPU per call | simulator's CPU per call |"
    )
    out("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    baseline = statistics.median(r.throughput for r in runs[next(iter(servers))])
    cpu_baseline = statistics.median(r.cpu for r in runs[next(iter(servers))])
    for name, seen in runs.items():
        mid = sorted(seen, key=lambda r: r.throughput)[len(seen) // 2]
        cpu = statistics.median(r.cpu for r in seen)
        client, upstream_cpu = (statistics.median(getattr(r, f) for r in seen) for f in ("client_cpu", "simulator_cpu"))
        out(
            f"| {name} | {mid.throughput:,.0f} calls/s | {mid.throughput / baseline:.2f} "
            f"| {ms(pct(mid.latencies, 50))} | {ms(pct(mid.latencies, 99))} | {mid.errors} "
            f"| {ms(cpu / len(calls))} | {cpu / cpu_baseline:.2f} | {ms(client / len(calls))} "
            f"| {ms(upstream_cpu / len(calls))} |"
        )
    out()
    first_call_table(firsts)
    await sequential_stdio(url, simulator, agents, ["now-1h", "now-6h", "now-24h", "now-2d", "now-7d"])


@asynccontextmanager
async def simulator_process() -> AsyncIterator[tuple[str, int]]:
    """The bundled simulator (`astro-ai-mcp simulate`) in a process of its own; yields its URL and process id."""
    port = 17000 + os.getpid() % 1000
    command = [sys.executable, "-m", "astro_mcp", "simulate", "--port", str(port)]
    async with await anyio.open_process(command, stderr=subprocess.DEVNULL) as process:
        assert process.stdout is not None
        first = await process.stdout.receive()  # the URL, on the first line
        try:
            yield first.decode().splitlines()[0].strip(), process.pid
        finally:
            process.terminate()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@asynccontextmanager
async def http_server(url: str, command: list[str], extra: dict[str, str]) -> AsyncIterator[tuple[int, int]]:
    """A server over streamable HTTP on loopback, in a process of its own, once it answers; yields its port and pid."""
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
    try:
        await ready(f"http://127.0.0.1:{port}/mcp")
        yield port, server.pid
    finally:
        server.terminate()
        await server.wait()


async def http_load(
    url: str,
    simulator_pid: int,
    command: list[str],
    extra: dict[str, str],
    tool: str,
    calls: list[dict[str, Any]],
    sessions: int = 8,
) -> Loaded:
    """`calls` spread over `sessions` clients (`bench.loadgen`), every call of a client at once, against a fresh
    server; the server's and the simulator's CPU time are counted from the first call to the last answer."""
    async with http_server(url, command, extra) as (port, pid):
        before, simulator_before = cpu_seconds(pid), cpu_seconds(simulator_pid)
        generator = [sys.executable, "-m", "bench.loadgen", str(port), tool, str(sessions)]
        done = await anyio.run_process(generator, input=json.dumps(calls).encode(), cwd=HERE.parent)
        cpu, simulator = cpu_seconds(pid) - before, cpu_seconds(simulator_pid) - simulator_before
    seen = json.loads(done.stdout)
    return Loaded(len(calls) / seen["wall"], seen["latencies"], seen["errors"], cpu, seen["cpu"], simulator)


async def first_calls(
    url: str, servers: dict[str, Server], args: dict[str, Any], rounds: int
) -> dict[str, list[tuple[float, float]]]:
    """Each server's first call, a fresh process each round: its latency, and the server's CPU until it answered."""
    seen: dict[str, list[tuple[float, float]]] = {name: [] for name in servers}
    for _ in range(rounds):
        for name, (command, extra, tool) in servers.items():
            async with http_server(url, command, extra) as (port, pid), Client(f"http://127.0.0.1:{port}/mcp") as c:
                before = cpu_seconds(pid)
                took, _ = await timed(c, tool, args)
                seen[name].append((took, cpu_seconds(pid) - before))
    return seen


def first_call_table(seen: dict[str, list[tuple[float, float]]]) -> None:
    out("## The first call of a fresh server over streamable HTTP (median of the rounds)")
    out("| server | latency | server CPU |")
    out("| --- | ---: | ---: |")
    for name, firsts in seen.items():
        latency, cpu = (statistics.median(values) for values in zip(*firsts, strict=True))
        out(f"| {name} | {ms(latency)} | {ms(cpu)} |")
    out()


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
