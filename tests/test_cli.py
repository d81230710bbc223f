"""The commands a user runs: demo, simulate, serve --demo, and the shipped Claude Desktop config."""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.types import TextContent

from astro_mcp.cli import main
from astro_mcp.sim.app import DEMO_TOKEN
from tests.support import http_client

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.waits(4)
def test_demo_prints_what_the_model_receives_and_exits_0() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "astro_mcp", "demo"], capture_output=True, text=True, timeout=120, cwd=REPO, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "tools: list_agents, get_account_overview, get_agent_metrics, get_agent_traces" in done.stdout
    assert "registered, not deployed: sql-helper" in done.stdout  # list_agents
    # get_account_overview; the demo runs on the real clock, so how many need attention depends on the hour
    assert re.search(r"\d of 8 deployed agents need attention", done.stdout)
    assert "Status: recovered. Error spike" in done.stdout
    assert "Traces: " in done.stdout
    assert "Did you mean account='astro-team'?" in done.stdout


@pytest.mark.anyio
async def test_simulate_prints_its_url_and_serves_data_to_a_token_holder() -> None:
    port = free_port()
    process = await anyio.open_process([sys.executable, "-m", "astro_mcp", "simulate", "--port", str(port)])
    try:
        assert process.stdout is not None
        with anyio.fail_after(20):
            first = b""
            while not first.endswith(b"\n"):
                first += await process.stdout.receive(1)
        url = first.decode().strip()
        assert url == f"http://127.0.0.1:{port}/api/v1"
        params: dict[str, str | int] = {
            "start_time": "2026-11-24T00:00:00Z",
            "end_time": "2026-11-24T06:00:00Z",
            "interval": 60,
        }
        path = f"{url}/agents/astro-team/weather-agent/observability/metrics"
        async with http_client() as http:
            allowed = await http.get(path, params=params, headers={"Authorization": f"Bearer {DEMO_TOKEN}"})
            refused = await http.get(path, params=params)
        assert allowed.status_code == 200
        assert len(allowed.json()["buckets"]) == 6
        assert refused.status_code == 401
    finally:
        process.terminate()
        await process.wait()


def free_port() -> int:
    """A free loopback port: bound to find it, released for the subprocess to take."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.anyio
async def test_serve_demo_answers_with_no_astro_account_or_token() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASTRO")}
    params = StdioServerParameters(command=sys.executable, args=["-m", "astro_mcp", "--demo"], env=env, cwd=REPO)
    async with Client(params) as client:
        result = await client.call_tool("get_agent_metrics", {"account": "astro-team", "name": "checkout-agent"})
    assert not result.is_error
    text = "\n".join(c.text for c in result.content if isinstance(c, TextContent))
    # On the real clock, which of its two regressions (latency, errors) leads the headline depends on the hour.
    assert re.search(r"⚠ Status: incident\. (Latency|Error) regression, ongoing since", text), text


@pytest.mark.anyio
async def test_the_example_claude_desktop_config_starts_the_server() -> None:
    """The shipped config, with its placeholder path filled in, as Claude Desktop would launch it."""
    config = json.loads((REPO / "claude_desktop_config.example.json").read_text())
    entry = config["mcpServers"]["astro"]
    assert "/absolute/path/to/astro-mcp" in entry["args"]
    assert "--no-dev" in entry["args"], "users get the runtime dependencies only"
    assert "env" not in entry, "the default path is signing in once, not a token pasted into the config"
    uv = shutil.which(entry["command"])
    assert uv is not None, "uv must be on PATH, as for the README's commands"
    args = [str(REPO) if a == "/absolute/path/to/astro-mcp" else a for a in entry["args"]]
    params = StdioServerParameters(command=uv, args=args, env={"UV_OFFLINE": "1"})
    async with Client(params) as client:
        tools = (await client.list_tools()).tools
        templates = (await client.list_resource_templates()).resource_templates
    assert [t.name for t in tools] == ["list_agents", "get_account_overview", "get_agent_metrics", "get_agent_traces"]
    assert len(templates) == 2


def test_stdio_run_by_a_person_in_a_terminal_says_it_waits_for_a_client_and_how_to_quit() -> None:
    primary, secondary = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASTRO")}
    process = subprocess.Popen(
        [sys.executable, "-m", "astro_mcp"], stdin=secondary, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline().decode()
    finally:
        process.kill()
        process.wait(timeout=10)
        os.close(primary)
        os.close(secondary)
    assert "waiting for an MCP client" in line
    assert "Ctrl+C to quit" in line
    assert process.stdout is not None
    assert process.stdout.read() == b""  # stdout stays the protocol's


def test_help_lists_the_server_options_and_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    shown = capsys.readouterr().out
    for option in ("--demo", "--transport", "--port", "--host", "--stateless"):
        assert option in shown
    for command in ("serve", "login", "logout", "whoami", "demo", "simulate"):
        assert command in shown
