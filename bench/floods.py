"""`python -m bench floods`: the slow-header flood and the session flood, against the real server process.

`astro-mcp --transport streamable-http --demo` runs as a subprocess, so that its descriptors can be counted
in /proc and its stderr read. Everything stays on loopback, bounded in connections and seconds.
"""

from __future__ import annotations

import os
import resource
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import anyio
import httpx2
from anyio.abc import ByteStream, Process
from mcp import Client

from bench.common import INIT, ms, out

ATTACKERS = 1_100
HOLD = 12.0  # longer than the default header deadline (10 s), so that the deadline shows
LOW_NOFILE = 512
SESSION_FLOOD = 10.0
MCP_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-11-25",
}


@dataclass
class Served:
    """The server subprocess, what it wrote to stderr, and its descriptors."""

    process: Process
    url: str
    lines: list[bytes] = field(default_factory=list)

    def fds(self) -> int:
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))

    def nofile(self) -> int:
        limits = Path(f"/proc/{self.process.pid}/limits").read_text().splitlines()
        return int(next(line.split()[3] for line in limits if line.startswith("Max open files")))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def read_lines(served: Served) -> None:
    assert served.process.stderr is not None
    rest = b""
    async for chunk in served.process.stderr:
        *done, rest = (rest + chunk).split(b"\n")
        served.lines.extend(done)


@asynccontextmanager
async def astro_server(env: dict[str, str], nofile: int | None = None, *, demo: bool = True) -> AsyncIterator[Served]:
    """The real server on a free loopback port (over the bundled simulator with `demo`), under `nofile`
    descriptors if given; stopped on exit."""
    port = free_port()
    command = [str(Path(sys.executable).parent / "astro-mcp"), "--transport", "streamable-http"]
    command += ["--demo"] if demo else []
    process = await anyio.open_process(
        [*command, "--port", str(port)], env={**os.environ, **env}, stdout=subprocess.DEVNULL
    )
    if nofile is not None:  # as `ulimit -n` would; the process is still importing, far from the limit
        resource.prlimit(process.pid, resource.RLIMIT_NOFILE, (nofile, nofile))
    served = Served(process, f"http://127.0.0.1:{port}")
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(read_lines, served)
            await wait_ready(served.url)
            yield served
            tg.cancel_scope.cancel()
    finally:
        process.terminate()
        with anyio.move_on_after(5, shield=True):
            await process.aclose()
        if process.returncode is None:
            process.kill()


async def wait_ready(url: str) -> None:
    with anyio.fail_after(30):
        async with httpx2.AsyncClient(timeout=1) as http:
            while True:
                try:
                    if (await http.get(f"{url}/healthz")).status_code == 200:
                        return
                except httpx2.HTTPError:  # not listening yet
                    pass
                await anyio.sleep(0.1)


# --- slow headers -----------------------------------------------------------------------------------


@dataclass
class Flood:
    opened: int = 0
    refused: int = 0
    closed_by_server: int = 0
    peak_fds: int = 0
    probes: list[float | None] = field(default_factory=list)  # healthz latency, None when it failed


async def attacker(port: int, deadline: float, flood: Flood) -> None:
    """One slow client: a request line, then a byte a second, never a complete request; reconnects if dropped."""
    while time.monotonic() < deadline:
        try:
            with anyio.fail_after(2):
                stream = await anyio.connect_tcp("127.0.0.1", port)
        except (OSError, TimeoutError):
            flood.refused += 1
            await anyio.sleep(1)
            continue
        flood.opened += 1
        async with stream:
            if await dropped(stream, deadline):
                flood.closed_by_server += 1
                await anyio.sleep(1)  # one reconnection a second per attacker: bounded churn


async def dropped(stream: ByteStream, deadline: float) -> bool:
    try:
        await stream.send(b"GET /healthz HTTP/1.1\r\n")
        while (left := deadline - time.monotonic()) > 0:
            with anyio.move_on_after(min(1.0, left)):
                await stream.receive()  # any answer to an incomplete request is the server giving up on it
                return True
            await stream.send(b"X")
    except (anyio.EndOfStream, anyio.BrokenResourceError, OSError):
        return True
    return False


async def probe(url: str, deadline: float, flood: Flood) -> None:
    """`/healthz` every 0.5 s, each on a new connection, as a load balancer's check would."""
    limits = httpx2.Limits(max_keepalive_connections=0)
    async with httpx2.AsyncClient(timeout=2, limits=limits) as http:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                ok = (await http.get(f"{url}/healthz")).status_code == 200
            except httpx2.HTTPError:  # refused, dropped before an answer, or 2 s without one
                ok = False
            took = time.perf_counter() - started
            flood.probes.append(took if ok else None)
            await anyio.sleep(max(0.0, 0.5 - took))


async def sample_fds(served: Served, deadline: float, flood: Flood) -> None:
    while time.monotonic() < deadline:
        flood.peak_fds = max(flood.peak_fds, served.fds())
        await anyio.sleep(0.05)


async def slow_headers(label: str, env: dict[str, str], nofile: int | None, hold: float) -> str:
    async with astro_server(env, nofile) as served:
        port = int(served.url.rsplit(":", 1)[1])
        at_rest, limit, before = served.fds(), served.nofile(), len(served.lines)
        flood = Flood()
        deadline = time.monotonic() + hold
        async with anyio.create_task_group() as tg:
            tg.start_soon(sample_fds, served, deadline, flood)
            tg.start_soon(probe, served.url, deadline, flood)
            for _ in range(ATTACKERS):
                tg.start_soon(attacker, port, deadline, flood)
        await anyio.sleep(0.5)  # the stderr of the last moments
        logged = served.lines[before:]
        emfile = sum(b"Too many open files" in line for line in logged)
    answered = [t for t in flood.probes if t is not None]
    streak = max(len(run) for run in "".join("x" if t is None else " " for t in flood.probes).split(" "))
    latency = f"{ms(statistics.median(answered))} | {ms(max(answered))}" if answered else "- | -"
    healthz = f"{len(answered)}/{len(flood.probes)} | {streak} | {latency}"
    return (
        f"| {label} | {limit:,} | {at_rest} | {flood.peak_fds:,} | {healthz} "
        f"| {len(logged):,} ({emfile:,}) | {flood.opened:,} | {flood.closed_by_server:,} | {flood.refused:,} |"
    )


# --- sessions ------------------------------------------------------------------------------------------


async def session_flood(seconds: float = SESSION_FLOOD, cap: int = 20_000) -> str:
    async with astro_server({}) as served:
        before = len(served.lines)
        created = refused = other = 0
        first_refusal = ""
        async with httpx2.AsyncClient(timeout=5, headers=MCP_HEADERS) as http:
            started = time.monotonic()
            while time.monotonic() - started < seconds and created + refused + other < cap:
                answer = await http.post(f"{served.url}/mcp", json=INIT)
                if answer.status_code == 200 and "mcp-session-id" in answer.headers:
                    created += 1
                elif answer.status_code == 503:
                    refused += 1
                    at = time.monotonic() - started
                    first_refusal = first_refusal or f"#{created + refused + other} at {at:.2f} s"
                else:
                    other += 1
        outcome = " | ".join([await well_behaved(served.url, "auto"), await well_behaved(served.url, "legacy")])
        logged = len(served.lines) - before
    sent = created + refused + other
    return f"| {sent:,} | {created:,} | {first_refusal or 'never'} | {refused:,} | {other:,} | {logged:,} | {outcome} |"


async def well_behaved(url: str, mode: Literal["auto", "legacy"]) -> str:
    """A new client's handshake and one tool call, tried for 3 s after the flood stopped."""
    failure = ""
    for _ in range(3):
        try:
            with anyio.fail_after(10):
                async with Client(f"{url}/mcp", mode=mode) as client:
                    result = await client.call_tool(
                        "get_agent_metrics", {"account": "astro-team", "name": "support-bot"}
                    )
            return "answered" if not result.is_error else "tool error"
        except Exception as error:  # whatever the SDK client raises when the handshake is refused
            while isinstance(error, ExceptionGroup) and len(error.exceptions) == 1:
                error = error.exceptions[0]
            failure = f"refused ({type(error).__name__}: {str(error)[:80]})"
        await anyio.sleep(1)
    return failure


async def floods() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4 * ATTACKERS:  # this process holds every attacking socket
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4 * ATTACKERS), hard))
    lifted = {"ASTRO_MCP_MAX_CONNECTIONS": "100000", "ASTRO_MCP_HEADER_TIMEOUT": "600"}
    rows = [
        await slow_headers("defaults (256 connections, 10 s headers)", {}, None, HOLD),
        await slow_headers(f"defaults, `ulimit -n {LOW_NOFILE}`", {}, LOW_NOFILE, HOLD),
        await slow_headers(f"limits lifted, `ulimit -n {LOW_NOFILE}` (before the fix)", lifted, LOW_NOFILE, 5.0),
    ]
    out(
        f"## Floods: {ATTACKERS:,} slow-header connections (a byte a second, reconnecting when dropped), "
        "`/healthz` every 0.5 s"
    )
    out(
        "| server | fd limit | fds at rest | peak fds | healthz answered | failed in a row | p50 | max "
        "| stderr lines (Too many open files) | connections opened | dropped by server | connects failed |"
    )
    out("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        out(row)
    out()
    out(f"## Floods: one client's `initialize` handshakes for {SESSION_FLOOD:g} s, then a new client (defaults)")
    out(
        "| handshakes | sessions created | first 503 | 503s | other | stderr lines "
        "| new client (2026-07-28) | new client (legacy, 2025-11-25) |"
    )
    out("| ---: | ---: | --- | ---: | ---: | ---: | --- | --- |")
    out(await session_flood())
    out()
