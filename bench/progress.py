"""`python -m bench progress`: when a client that asks for progress hears the first of it, on a long overview.

The 500 agents of `large-org`, against a simulator that delays every answer by 300 ms, over stdio as a
host runs the server. Each call asks for a past window no earlier call asked for (no metrics from the
cache); the first call also fetches `/me` and `/deployments`. The baseline, in the same run, is the same
overview without a progress token.
"""

from __future__ import annotations

import itertools
import statistics
import sys
import time

import anyio
from mcp import Client, StdioServerParameters

from astro_mcp.sim.app import Simulator
from astro_mcp.sim.serve import serve_simulator
from bench.common import env_for, ms, out
from bench.fleet import Windows

DELAY_MS = 300.0
ACCOUNT = "large-org"


class Stopwatch:
    """Times, from the call, of each progress notification."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.heard: list[tuple[float, str]] = []

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.heard.append((time.perf_counter() - self.started, message or ""))


async def progress(runs: int = 3) -> None:
    simulator = Simulator(latency_ms=DELAY_MS)
    windows = Windows()
    firsts: list[float] = []
    counted: list[float] = []
    gaps: list[float] = []
    with_progress: list[float] = []
    without: list[float] = []
    notifications = 0
    async with serve_simulator(simulator) as url:
        params = StdioServerParameters(command=sys.executable, args=["-m", "astro_mcp"], env=env_for(url))
        async with Client(params, read_timeout_seconds=120) as client:
            for run in range(runs):
                watch = Stopwatch()
                with anyio.fail_after(120):
                    await client.call_tool(
                        "get_account_overview", {"account": ACCOUNT, **windows.next()}, progress_callback=watch
                    )
                with_progress.append(time.perf_counter() - watch.started)
                times = [t for t, _ in watch.heard]
                firsts.append(times[0])
                counted.append(next(t for t, m in watch.heard if "agents read" in m))
                gaps.append(max(b - a for a, b in itertools.pairwise(times)))
                notifications = len(watch.heard)
                started = time.perf_counter()
                await client.call_tool("get_account_overview", {"account": ACCOUNT, **windows.next()})
                without.append(time.perf_counter() - started)
                if run == 0:  # the first pair also fetched /me and /deployments: measured, not counted
                    firsts.pop(), counted.pop(), gaps.pop(), with_progress.pop(), without.pop()
    base = statistics.median(without)
    out(f"## Progress: a 500-agent overview, every simulated answer delayed {DELAY_MS:g} ms (stdio, median)")
    out("| what | time | ratio |")
    out("| --- | ---: | ---: |")
    out(f"| the overview, no progress asked for (baseline) | {ms(base)} | 1.00 |")
    out(
        f"| the overview, progress asked for | {ms(statistics.median(with_progress))} | "
        f"{statistics.median(with_progress) / base:.2f} |"
    )
    out(
        f"| first notification, from the call | {ms(statistics.median(firsts))} | "
        f"{statistics.median(firsts) / base:.3f} |"
    )
    out(
        f"| first 'n of 500 agents read' | {ms(statistics.median(counted))} | {statistics.median(counted) / base:.3f} |"
    )
    out(
        f"| longest silence between two notifications | {ms(statistics.median(gaps))} | "
        f"{statistics.median(gaps) / base:.3f} |"
    )
    out()
    out(f"Notifications per overview: {notifications} ({runs - 1} runs counted; the first run, which also fetched")
    out("/me and /deployments, is left out).")
    out()
