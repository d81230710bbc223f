"""`uv run python -m bench [section ...]`: every benchmark, against the bundled simulator on loopback.

Sections, one module each: coldstart, latency (also context cost, repeated calls and memory), scaling,
load, fleet (the account overview's fan-out against a simulator that delays every answer), progress (when
a client hears the first progress of a 500-agent overview against a 300 ms API), sizes (tools/list and the
largest answers, in characters), traces (the
p95 fetch's cost and the traces answer's size), floods (slow-header and session floods against the HTTP
server's limits), bodies (hostile answer bodies, the server's peak memory and `/healthz` meanwhile),
deadline (a 500-agent overview with 50 agents hanging, the call's time against its budget), detect (the
detection engine on 43,200 buckets, and the most recent data's cost to a call), cost (what the cost figures
add to the overview and to one agent's metrics, in time and requests), context (what an incident's deploys,
alerts, events and failing step add to get_agent_metrics, and the worst rows' context to the overview).
Default: all.
`bench/common.py` holds what they share.
Each prints medians (and percentiles) with ratios against a baseline measured in the same run.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

import anyio

from astro_mcp.sim.app import Simulator
from astro_mcp.sim.serve import serve_simulator
from bench.coldstart import coldstart
from bench.common import out
from bench.latency import latency
from bench.load import load
from bench.scaling import scaling
from bench.traces import traces


async def main(sections: Sequence[str]) -> None:
    chosen = set(sections) or {
        "coldstart",
        "latency",
        "scaling",
        "load",
        "fleet",
        "progress",
        "traces",
        "floods",
        "bodies",
        "deadline",
        "detect",
        "cost",
        "context",
    }
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
    if "progress" in chosen:
        from bench.progress import progress

        await progress()
    if "sizes" in chosen:
        from bench.sizes import sizes

        await sizes()
    if "traces" in chosen:
        await traces()
    if "floods" in chosen:
        from bench.floods import floods

        await floods()
    if "detect" in chosen:
        from bench.detect import detect, network

        detect()
        await network()
    if "bodies" in chosen:
        from bench.bodies import bodies

        await bodies()
    if "cost" in chosen:
        from bench.cost import cost

        await cost()
    if "context" in chosen:
        from bench.context import context

        await context()
    if "deadline" in chosen:
        from bench.deadline import deadline

        await deadline()


if __name__ == "__main__":
    anyio.run(main, sys.argv[1:])
