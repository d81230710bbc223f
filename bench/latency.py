"""`python -m bench latency`: call latency, context cost, repeated calls and memory, against the naive wrapper."""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
from mcp import Client, StdioServerParameters
from mcp.types import CallToolResult

from bench.common import HERE, env_for, ms, out, pct, result_chars, timed

WINDOWS = [("24 h at 60 min", 1, 60, 100), ("7 d at 60 min", 7, 60, 100), ("30 d at 1 min", 30, 1, 10)]


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
