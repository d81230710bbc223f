"""`uv run python -m bench [section ...]`: every benchmark, against the bundled simulator on loopback.

Sections: coldstart, latency (also context cost, repeated calls and memory), scaling, load, fleet
(`bench/fleet.py`: the account overview's fan-out against a simulator that delays every answer), traces
(`bench/traces.py`: the p95 fetch's cost and the traces answer's size), floods (`bench/floods.py`: slow-header
and session floods against the HTTP server's limits). Default: all.
Each prints medians (and percentiles) with ratios against a baseline measured in the same run.
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import jsonschema
from mcp import Client, StdioServerParameters
from mcp.types import CallToolResult, TextContent

from astro_mcp.analysis.summarize import summarize
from astro_mcp.api.wire import MetricsResponse
from astro_mcp.domain import AgentRef, MetricsQuery
from astro_mcp.render.metrics import render
from astro_mcp.sim.app import DEMO_TOKEN, Simulator
from astro_mcp.sim.serve import serve_simulator
from bench.traces import traces

HERE = Path(__file__).parent
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}},
}
METRICS_TOOL = "get_agent_metrics"
WINDOWS = [("24 h at 60 min", 1, 60, 100), ("7 d at 60 min", 7, 60, 100), ("30 d at 1 min", 30, 1, 10)]


def out(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def env_for(url: str, **extra: str) -> dict[str, str]:
    return {"ASTRO_API_URL": url, "ASTRO_ACCESS_TOKEN": DEMO_TOKEN, "ASTRO_MCP_LOG_LEVEL": "WARNING", **extra}


# --- 1. cold start -------------------------------------------------------------------------------


def spawn_to_initialize(command: list[str], env: dict[str, str], cwd: Path | None = None) -> float:
    # Both servers as installed: their modules read from the bytecode cache (a wheel install compiles
    # them), even where PYTHONDONTWRITEBYTECODE would have every start compile them again.
    cached = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**cached, **env},
        cwd=cwd,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write((json.dumps(INIT) + "\n").encode())
    process.stdin.flush()
    process.stdout.readline()
    elapsed = time.perf_counter() - started
    process.kill()
    process.wait()
    return elapsed


def coldstart(url: str, runs: int = 21) -> None:
    ours: list[float] = []
    floor: list[float] = []
    for _ in range(runs + 1):  # interleaved, so both see the same machine; the first writes the caches
        ours.append(spawn_to_initialize([sys.executable, "-m", "astro_mcp"], env_for(url)))
        floor.append(spawn_to_initialize([sys.executable, str(HERE / "floor_server.py")], {}))
    ours, floor = ours[1:], floor[1:]
    o, f = statistics.median(ours), statistics.median(floor)
    out(f"## Cold start: spawn to the `initialize` answer over stdio ({runs} runs each, interleaved)")
    out("| server | median | min | ratio to floor |")
    out("| --- | ---: | ---: | ---: |")
    out(f"| bare MCPServer, one trivial tool (floor) | {ms(f)} | {ms(min(floor))} | 1.00 |")
    out(f"| astro-mcp | {ms(o)} | {ms(min(ours))} | {o / f:.2f} |")
    out()


# --- 2, 3, 5, 6. call latency, context cost, repeated calls, memory ---------------------------------


def result_chars(result: CallToolResult) -> int:
    text = sum(len(c.text) for c in result.content if isinstance(c, TextContent))
    structured = len(json.dumps(result.structured_content)) if result.structured_content is not None else 0
    return text + structured


def schema_check(schema: dict[str, Any] | None, result: CallToolResult, runs: int = 200) -> float:
    """What the SDK client spends validating one result against the tool's output schema."""
    validator = jsonschema.Draft202012Validator(schema or {})
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        list(validator.iter_errors(result.structured_content))
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def child_peak_rss(marker: str) -> int:
    """Peak RSS (kB) of this process's child whose command line contains `marker`."""
    me = str(os.getpid())
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            ppid = (proc / "stat").read_text().rsplit(")", 1)[1].split()[1]
            if ppid == me and marker in (proc / "cmdline").read_bytes().decode(errors="replace"):
                status = (proc / "status").read_text()
                return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))
        except (OSError, IndexError, StopIteration):
            continue
    return 0


def window_args(name: str, end: datetime, days: int, interval: int) -> dict[str, Any]:
    """The same explicit past window for every server, so that both are asked the same thing."""
    start = end - timedelta(days=days)
    return {
        "account": "astro-team",
        "name": name,
        "start_time": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end_time": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "interval": interval,
    }


async def timed(client: Client, tool: str, args: dict[str, Any]) -> tuple[float, CallToolResult]:
    started = time.perf_counter()
    result = await client.call_tool(tool, args)
    return time.perf_counter() - started, result


async def latency(url: str) -> None:
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    ours = StdioServerParameters(
        command=sys.executable,
        args=["-m", "astro_mcp"],
        env=env_for(url, ASTRO_MCP_CACHE_TTL="0", ASTRO_MCP_LIVE_CACHE_TTL="0"),
    )
    naive = StdioServerParameters(command=sys.executable, args=[str(HERE / "naive_server.py")], env=env_for(url))
    cached = StdioServerParameters(command=sys.executable, args=["-m", "astro_mcp"], env=env_for(url))
    rows: list[str] = []
    context: list[str] = []
    memory: list[str] = []
    checks: list[str] = []
    async with Client(ours) as a, Client(naive) as b:
        schemas = {t.name: t.output_schema for s in (a, b) for t in (await s.list_tools()).tools}
        for label, days, interval, calls in WINDOWS:
            args = window_args("weather-agent", end, days, interval)
            _, mine = await timed(a, "get_agent_metrics", args)  # warm-up, both
            _, theirs = await timed(b, "get_metrics", args)
            assert not mine.is_error
            assert not theirs.is_error
            t_ours: list[float] = []
            t_naive: list[float] = []
            for _ in range(calls):
                t_ours.append((await timed(a, "get_agent_metrics", args))[0])
                t_naive.append((await timed(b, "get_metrics", args))[0])
            o50, n50 = statistics.median(t_ours), statistics.median(t_naive)
            ratio = o50 / n50
            rows.append(
                f"| {label} | {ms(o50)} | {ms(pct(t_ours, 95))} | {ms(n50)} | {ms(pct(t_naive, 95))} | {ratio:.2f} |"
            )
            checks.append(
                f"| {label} | {ms(schema_check(schemas['get_agent_metrics'], mine))} "
                f"| {ms(schema_check(schemas['get_metrics'], theirs))} |"
            )
            c_ours, c_naive = result_chars(mine), result_chars(theirs)
            context.append(f"| {label} | {c_ours:,} | {c_naive:,} | {c_naive / c_ours:,.0f}x |")
        memory.append(f"| astro-mcp | {child_peak_rss('astro_mcp') / 1024:,.0f} MB |")
        memory.append(f"| naive wrapper | {child_peak_rss('naive_server') / 1024:,.0f} MB |")
    out("## Call latency over stdio, sequential calls (astro-mcp with its cache off)")
    out("| window | astro-mcp p50 | p95 | naive p50 | p95 | ratio p50 |")
    out("| --- | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        out(row)
    out()
    out("Of that, the Python SDK client's own check of each result against the tool's `outputSchema`")
    out("(pure-Python `jsonschema`, median of 200):")
    out("| window | astro-mcp's schema | naive wrapper's schema |")
    out("| --- | ---: | ---: |")
    for row in checks:
        out(row)
    out()
    out("## Context cost: characters of the whole result (text blocks + structured content)")
    out("| window | astro-mcp | naive wrapper | naive / astro-mcp |")
    out("| --- | ---: | ---: | ---: |")
    for row in context:
        out(row)
    out()
    out("## Peak RSS of the server process after the 30 d at 1 min calls")
    out("| server | peak RSS |")
    out("| --- | ---: |")
    for row in memory:
        out(row)
    out()
    await repeated(cached, end)


async def repeated(params: StdioServerParameters, end: datetime, calls: int = 30) -> None:
    out("## Repeated calls: the same call again (cache on, its default TTLs)")
    out("| window | first call | repeated p50 | repeated p95 | first / repeated |")
    out("| --- | ---: | ---: | ---: | ---: |")
    async with Client(params) as client:
        for label, days, interval, _ in WINDOWS:
            args = window_args("checkout-agent", end, days, interval)
            first, _ = await timed(client, "get_agent_metrics", args)
            again = [(await timed(client, "get_agent_metrics", args))[0] for _ in range(calls)]
            r50 = statistics.median(again)
            out(f"| {label} | {ms(first)} | {ms(r50)} | {ms(pct(again, 95))} | {first / r50:,.0f}x |")
    out()


# --- 4. scaling ---------------------------------------------------------------------------------------


def synthetic(n: int) -> tuple[MetricsQuery, MetricsResponse]:
    rng = random.Random(n)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    buckets = []
    for i in range(n):
        traces = rng.randint(1, 6)
        buckets.append(
            {
                "timestamp": (start + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "trace_count": traces,
                "avg_latency_ms": round(rng.uniform(150, 400), 1),
                "input_tokens": traces * 900,
                "output_tokens": traces * 350,
                "error_count": int(rng.random() < 0.01),
            }
        )
    body = json.dumps({"buckets": buckets, "time_range": {"start": "", "end": ""}, "interval_minutes": 1})
    query = MetricsQuery(AgentRef("astro-team", "weather-agent"), start, start + timedelta(minutes=n), 1)
    return query, MetricsResponse.model_validate_json(body)


def scaling(runs: int = 9) -> None:
    out(f"## Scaling: summarize + render, every minute of the window active ({runs} runs, median)")
    out("| buckets | parse from bytes | summarize + render | per bucket |")
    out("| ---: | ---: | ---: | ---: |")
    for n in (24, 1_000, 10_000, 43_200, 100_000):
        query, response = synthetic(n)
        body = response.model_dump_json().encode()
        parse: list[float] = []
        work: list[float] = []
        for _ in range(runs):
            started = time.perf_counter()
            MetricsResponse.model_validate_json(body)
            parse.append(time.perf_counter() - started)
            started = time.perf_counter()
            render(summarize(query, response.buckets, 1), "astro://x")
            work.append(time.perf_counter() - started)
        w = statistics.median(work)
        out(f"| {n:,} | {ms(statistics.median(parse))} | {ms(w)} | {w / n * 1e6:.2f} µs |")
    out()


# --- load ----------------------------------------------------------------------------------------------


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
            async with Client(f"http://127.0.0.1:{port}/mcp") as client:

                async def one(args: dict[str, Any]) -> None:
                    nonlocal errors
                    took, result = await timed(client, tool, args)
                    latencies.append(took)
                    errors += bool(result.is_error)

                async with anyio.create_task_group() as tg:
                    for args in mine:
                        tg.start_soon(one, args)

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


async def main(sections: Sequence[str]) -> None:
    chosen = set(sections) or {"coldstart", "latency", "scaling", "load", "fleet", "traces", "floods"}
    out(
        f"astro-mcp benchmarks, {datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {platform.machine()}"
    )
    out()
    simulator = Simulator()
    async with serve_simulator(simulator) as url:
        if "coldstart" in chosen:
            await anyio.to_thread.run_sync(coldstart, url)
        if "latency" in chosen:
            await latency(url)
        if "scaling" in chosen:
            scaling()
        if "load" in chosen:
            await load(url, simulator)
    if "fleet" in chosen:
        from bench.fleet import fleet

        await fleet()
    if "traces" in chosen:
        await traces()
    if "floods" in chosen:
        from bench.floods import floods

        await floods()


if __name__ == "__main__":
    anyio.run(main, sys.argv[1:])
