"""End to end on each transport: a real stdio subprocess, and real uvicorn for streamable HTTP and SSE."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from pydantic import SecretStr

from astro_mcp.cli import main
from astro_mcp.config import Settings
from astro_mcp.server import create_server
from astro_mcp.server.http import HttpTransport, build_app
from astro_mcp.sim.app import DEMO_TOKEN, Simulator
from astro_mcp.sim.serve import serve_app, serve_simulator
from tests.support import NOW, http_client

pytestmark = pytest.mark.anyio

CALL = {"account": "astro-team", "name": "support-bot", "start_time": "2026-11-24T00:00:00Z", "end_time": "now-1h"}
FIELDS = {"window", "totals", "error_rate", "avg_latency_ms"}
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def stdio_params(api_url: str, **env: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "astro_mcp"],
        env={"ASTRO_API_URL": api_url, "ASTRO_ACCESS_TOKEN": DEMO_TOKEN, **env},
        cwd=os.getcwd(),
    )


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_stdio_subprocess_answers_get_agent_metrics(mode: str) -> None:
    # The subprocess reads the real clock, so it gets a simulator on the real clock too.
    async with serve_simulator(Simulator()) as api_url, Client(stdio_params(api_url), mode=mode) as client:
        assert client.server_info is not None
        assert client.server_info.name == "astro"
        result = await client.call_tool("get_agent_metrics", {**CALL, "start_time": "now-2d", "end_time": "now-1d"})
    assert not result.is_error
    assert result.structured_content is not None
    assert set(result.structured_content) >= FIELDS
    assert result.structured_content["totals"]["trace_count"] > 0


def http_app(settings: Settings, transport: HttpTransport, stateless: bool = False, **updates: Any) -> Any:
    server = create_server(settings.model_copy(update=updates), clock=lambda: NOW)
    return build_app(server, settings.model_copy(update=updates), transport, "127.0.0.1", stateless)


@pytest.fixture
async def streamable(settings: Settings) -> AsyncIterator[str]:
    async with serve_app(http_app(settings, "streamable-http")) as url:
        yield url


@pytest.mark.parametrize("mode", ["auto", "legacy"])
@pytest.mark.parametrize("stateless", [False, True])
async def test_streamable_http_answers_get_agent_metrics(settings: Settings, mode: str, stateless: bool) -> None:
    async with serve_app(http_app(settings, "streamable-http", stateless)) as url, Client(f"{url}/mcp", mode=mode) as c:
        result = await c.call_tool("get_agent_metrics", CALL)
    assert not result.is_error
    assert result.structured_content is not None
    assert set(result.structured_content) >= FIELDS


async def test_sse_answers_get_agent_metrics(settings: Settings) -> None:
    async with serve_app(http_app(settings, "sse")) as url, Client(sse_client(f"{url}/sse")) as client:
        result = await client.call_tool("get_agent_metrics", CALL)
        again = await client.call_tool("get_agent_metrics", {**CALL, "name": "weather-agent"})
    assert not result.is_error
    assert not again.is_error
    assert result.structured_content is not None
    assert set(result.structured_content) >= FIELDS


async def test_healthz_answers_without_auth_and_says_nothing_more(settings: Settings) -> None:
    app = http_app(settings, "streamable-http", auth_token=SecretStr("client-secret"))
    async with serve_app(app) as url, http_client() as http:
        response = await http.get(f"{url}/healthz")
    assert response.status_code == 200
    assert response.text == "ok"


async def test_foreign_host_and_origin_are_refused(streamable: str) -> None:
    async with http_client(headers=MCP_HEADERS) as http:
        foreign_host = await http.post(f"{streamable}/mcp", json=INIT, headers={"Host": "evil.example:8000"})
        foreign_origin = await http.post(f"{streamable}/mcp", json=INIT, headers={"Origin": "http://evil.example"})
        local_origin = await http.post(f"{streamable}/mcp", json=INIT, headers={"Origin": "http://localhost:3000"})
    assert foreign_host.status_code == 421
    assert foreign_origin.status_code == 403
    assert local_origin.status_code == 200


async def test_configured_hosts_and_origins_are_let_in(settings: Settings) -> None:
    app = http_app(
        settings,
        "streamable-http",
        allowed_hosts=("mcp.example.com:*",),
        allowed_origins=("https://app.example.com",),
    )
    async with serve_app(app) as url, http_client(headers=MCP_HEADERS) as http:
        ok = await http.post(
            f"{url}/mcp", json=INIT, headers={"Host": "mcp.example.com:443", "Origin": "https://app.example.com"}
        )
        refused = await http.post(f"{url}/mcp", json=INIT, headers={"Origin": "https://other.example.com"})
    assert ok.status_code == 200
    assert refused.status_code == 403


async def test_a_body_over_the_limit_is_refused(settings: Settings) -> None:
    async with serve_app(http_app(settings, "streamable-http", max_request_kb=1)) as url, http_client() as http:
        response = await http.post(f"{url}/mcp", content=b"x" * 4096, headers=MCP_HEADERS)
    assert response.status_code == 413


async def test_with_an_auth_token_every_mcp_request_needs_it_and_it_never_reaches_astro(
    settings: Settings, simulator: Simulator
) -> None:
    app = http_app(settings, "streamable-http", auth_token=SecretStr("client-secret"))
    async with serve_app(app) as url:
        async with http_client(headers=MCP_HEADERS) as http:
            missing = await http.post(f"{url}/mcp", json=INIT)
            wrong = await http.post(f"{url}/mcp", json=INIT, headers={"Authorization": "Bearer guess"})
        assert missing.status_code == 401
        assert wrong.status_code == 401
        async with (
            http_client(headers={"Authorization": "Bearer client-secret"}) as http,
            Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client,
        ):
            result = await client.call_tool("get_agent_metrics", CALL)
    assert not result.is_error
    assert {r.authorization for r in simulator.requests} == {f"Bearer {DEMO_TOKEN}"}
    assert DEMO_TOKEN not in str(result.model_dump())


async def test_sse_needs_the_token_too(settings: Settings) -> None:
    app = http_app(settings, "sse", auth_token=SecretStr("client-secret"))
    async with serve_app(app) as url, http_client() as http:
        response = await http.get(f"{url}/sse")
    assert response.status_code == 401


def test_refuses_a_non_loopback_address_without_an_auth_token(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ASTRO_MCP_AUTH_TOKEN", raising=False)
    assert main(["--transport", "streamable-http", "--host", "0.0.0.0"]) == 2
    captured = capsys.readouterr()
    assert "refusing to listen on 0.0.0.0" in captured.err
    assert "ASTRO_MCP_AUTH_TOKEN" in captured.err
    assert captured.out == ""
