"""`python -m bench bodies`: hostile answer bodies against the real server process, its peak memory and `/healthz`.

A misbehaving Astro API (tests/fault_upstream.py, on loopback) answers one route with a body built to cost
memory or time: tens of megabytes of tiny objects, or a page of traces whose inputs are megabytes each. For
each, `astro-mcp --transport streamable-http` runs as a fresh subprocess; one tool call goes through it while
`/healthz` is asked every 50 ms. Printed: the call's time and outcome, the slowest `/healthz` answer, and the
process's peak resident memory (VmHWM) against its resident memory at rest. Bounded: one call per scenario,
each within the call budget.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx2
from mcp import Client
from mcp.types import TextContent

from bench.common import ms, out
from bench.floods import astro_server
from tests.fault_upstream import FaultUpstream, Reply, serve_faults

MB = 1 << 20
TRACE = {"trace_id": "t", "name": "op", "status": "error", "latency_ms": 5.0, "timestamp": "2026-11-25T09:00:00Z"}
ME = {"user": {"email": "bench@example.test"}, "accounts": [{"name": "astro-team", "agents": [{"name": "a"}]}]}


def tiny_objects(key: str, size: int) -> bytes:
    """`{key: [{}, {}, ...]}`, `size` bytes: the most objects a body of that size can hold."""
    head, tail = f'{{"{key}": ['.encode(), b"{}]}"
    return head + b"{}," * ((size - len(head) - len(tail)) // 3) + tail


def long_inputs(params: dict[str, str]) -> bytes:
    """A traces page whose every row carries a 2-million-character input: over 32 MB from 16 rows up."""
    rows = [{**TRACE, "trace_id": f"t{i}", "input": "z" * 2_000_000} for i in range(int(params.get("limit", "50")))]
    return json.dumps({"traces": rows, "total": 500}).encode()


@dataclass(frozen=True)
class Scenario:
    name: str
    route: str  # a fragment of the request line that gets the hostile body
    body: bytes | Callable[[dict[str, str]], bytes]
    tool: str
    args: dict[str, object]


AGENT = {"account": "astro-team", "name": "weather-agent", "start_time": "now-1h"}
SCENARIOS = [
    Scenario(
        "31.5 MB `/deployments` of tiny objects", "/deployments?", tiny_objects("deployments", 31_500_000),
        "list_agents", {"account": "astro-team"},
    ),
    Scenario(
        "31.5 MB metrics of tiny objects", "/observability/metrics", tiny_objects("buckets", 31_500_000),
        "get_agent_metrics", {**AGENT, "compare": "none"},
    ),
    Scenario(
        "15.9 MB traces page of tiny rows", "/observability/traces", tiny_objects("traces", 15_900_000),
        "get_agent_traces", {**AGENT, "status": "all"},
    ),
    Scenario(
        "traces page of 2-million-character inputs (100 MB at 50 rows)", "/observability/traces", long_inputs,
        "get_agent_traces", {**AGENT, "status": "all"},
    ),
]  # fmt: skip


def memory_kb(pid: int, field: str) -> int:
    line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith(field + ":"))
    return int(line.split()[1])


async def one(scenario: Scenario, faults: FaultUpstream, api_url: str) -> str:
    faults.by_path = {"/api/v1/me ": Reply(body=json.dumps(ME).encode()), scenario.route: Reply(body=scenario.body)}
    env = {"ASTRO_API_URL": api_url, "ASTRO_ACCESS_TOKEN": "tok-bench-bodies-0001", "ASTRO_MCP_LOG_LEVEL": "WARNING"}
    async with astro_server(env, demo=False) as served:
        pid = served.process.pid
        at_rest = memory_kb(pid, "VmRSS")
        probes: list[float] = []
        done = anyio.Event()

        async def probe() -> None:
            async with httpx2.AsyncClient(timeout=10) as http:
                while not done.is_set():
                    started = anyio.current_time()
                    await http.get(f"{served.url}/healthz")
                    probes.append(anyio.current_time() - started)
                    await anyio.sleep(0.05)

        async with anyio.create_task_group() as tg:
            tg.start_soon(probe)
            async with Client(f"{served.url}/mcp") as client:
                started = anyio.current_time()
                result = await client.call_tool(scenario.tool, scenario.args)
                took = anyio.current_time() - started
            done.set()
        peak = memory_kb(pid, "VmHWM")
    said = " ".join(c.text for c in result.content if isinstance(c, TextContent))
    outcome = ("error: " if result.is_error else "answered: ") + _gist(said)
    return (
        f"| {scenario.name} | {ms(took)} | {outcome} | {ms(max(probes))} | {len(probes)} "
        f"| {at_rest / 1024:.0f} MB | {peak / 1024:.0f} MB |"
    )


def _gist(text: str) -> str:
    for needle in ("larger than", "far more than", "asked for instead", "None to show", "match"):
        if needle in text:
            at = text.index(needle)
            return text[max(0, at - 60) : at + 60].replace("|", "/").replace("\n", " ").strip()
    return text[:120].replace("|", "/").replace("\n", " ")


async def bodies() -> None:
    faults = FaultUpstream()
    async with serve_faults(faults) as api_url:
        rows = [await one(scenario, faults, api_url) for scenario in SCENARIOS]
    out("## Hostile bodies: one call each through the real server process, `/healthz` every 50 ms")
    out("| body | call | outcome | slowest healthz | healthz answered | RSS at rest | peak RSS |")
    out("| --- | ---: | --- | ---: | ---: | ---: | ---: |")
    for row in rows:
        out(row)
    out()
