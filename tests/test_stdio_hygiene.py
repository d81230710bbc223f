"""Over stdio, stdout carries JSON-RPC messages and nothing else, whatever goes wrong."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import anyio
import pytest
from anyio.streams.text import TextReceiveStream

from astro_mcp.sim.app import Scripted, Simulator
from astro_mcp.sim.serve import serve_simulator

pytestmark = pytest.mark.anyio

SECRET = "tok-SECRET-stdio-77e1"

CALLS: list[dict[str, Any]] = [
    {"account": "astro-team", "name": "support-bot"},
    {"account": "Bad Slug", "name": "x"},
    {"account": "astro-team", "name": "support-bot", "start_time": "last tuesday"},
    {"account": "astro-team", "name": "support-bot", "interval": 0},
    {"account": "astro-team", "name": "support-bot", "start_time": "now-200d"},
    {"account": 42},
    {"account": "locked-org", "name": "x"},
    {"account": "ghost", "name": "x"},
    {"account": "fresh-org", "name": "x"},
    {"account": "expired-session", "name": "x"},
    {"account": "astro-team", "name": "broken-backend"},
    {"account": "astro-team", "name": "weather-agent", "compare": "none"},  # scripted: 200 with an HTML page
    {"account": "astro-team", "name": "batch-agent", "compare": "none"},  # scripted: 429, 429, 429
    {"account": "astro-team", "name": "new-agent"},
]


def message(id_: int | None, method: str, params: dict[str, Any] | None = None) -> str:
    body: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if id_ is not None:
        body["id"] = id_
    if params is not None:
        body["params"] = params
    return json.dumps(body) + "\n"


def parse(stdout: str) -> list[dict[str, Any]]:
    """Every non-blank stdout line as JSON: any other line fails here."""
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def answered_ids(stdout: str) -> set[int]:
    complete = stdout[: stdout.rfind("\n") + 1]
    return {r["id"] for r in parse(complete) if "id" in r}


async def test_every_stdout_line_is_a_json_rpc_message_through_every_error_path() -> None:
    simulator = Simulator(tokens=frozenset({SECRET}))
    simulator.script("astro-team", "weather-agent", Scripted(200, b"<html>oops</html>", {"content-type": "text/html"}))
    simulator.script("astro-team", "batch-agent", *[Scripted(429, b'{"error":"slow down"}', {"retry-after": "0"})] * 3)
    lines = [
        message(
            0,
            "initialize",
            {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
        ),
        message(None, "notifications/initialized"),
        "{this is not json\n",
        message(90, "no/such/method"),
        message(91, "tools/call", {"name": "no_such_tool", "arguments": {}}),
        message(92, "resources/read", {"uri": "astro://agents/locked-org/x/metrics"}),
        message(93, "prompts/get", {"name": "investigate_agent", "arguments": {}}),
        *(message(i + 1, "tools/call", {"name": "get_agent_metrics", "arguments": a}) for i, a in enumerate(CALLS)),
        message(
            99,
            "tools/call",
            {"name": "get_agent_metrics", "arguments": {"account": "astro-team", "name": "support-bot"}},
        ),
    ]
    expected = set(range(1, len(CALLS) + 1)) | {0, 90, 91, 92, 93, 99}
    async with serve_simulator(simulator) as url:
        env = {**os.environ, "ASTRO_API_URL": url, "ASTRO_ACCESS_TOKEN": SECRET, "ASTRO_MCP_LOG_LEVEL": "DEBUG"}
        env["ASTRO_MCP_RETRY_BACKOFF"] = "0.01"
        with anyio.fail_after(60):
            async with await anyio.open_process([sys.executable, "-m", "astro_mcp"], env=env) as process:
                assert process.stdin is not None
                assert process.stdout is not None
                assert process.stderr is not None
                out: list[str] = []
                err: list[str] = []

                async def drain(stream: Any, into: list[str]) -> None:
                    async for chunk in TextReceiveStream(stream):
                        into.append(chunk)

                async with anyio.create_task_group() as tg:
                    tg.start_soon(drain, process.stdout, out)
                    tg.start_soon(drain, process.stderr, err)
                    for line in lines:
                        await process.stdin.send(line.encode())
                    # Wait for every answer (retried 502s and 429s finish last), then close stdin:
                    # the server must exit by itself.
                    while not expected <= answered_ids("".join(out)):
                        await anyio.sleep(0.05)
                    await process.stdin.aclose()
                    await process.wait()
    replies = parse("".join(out))
    assert all(r.get("jsonrpc") == "2.0" for r in replies)
    results = {r["id"]: r.get("result", {}) for r in replies if "id" in r}
    assert results[99]["isError"] is False
    assert "structuredContent" in results[99]
    tool_calls = [results[i + 1] for i in range(len(CALLS))]
    assert all("isError" in r for r in tool_calls)  # a tool result each, never a JSON-RPC error
    answered = [a for a, r in zip(CALLS, tool_calls, strict=True) if not r["isError"]]
    assert answered == [CALLS[0], CALLS[-1]]
    assert process.returncode == 0
    logs = "".join(err)
    assert "get_agent_metrics" in logs or "astro_mcp" in logs  # the logs went to stderr...
    assert SECRET not in logs + "".join(out)  # ...and never carried the token
