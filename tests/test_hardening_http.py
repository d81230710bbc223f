"""The HTTP transport's limits on real uvicorn: header deadline, connection cap, sessions; and the start-up checks."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import pytest
from mcp import Client

from astro_mcp.cli import main
from astro_mcp.config import ConfigError, Settings
from astro_mcp.server import create_server
from astro_mcp.server.http import build_app, uvicorn_config
from astro_mcp.sim.app import Simulator
from astro_mcp.sim.serve import serve_app
from tests.support import NOW, http_client
from tests.test_e2e_transports import INIT, MCP_HEADERS

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def serve(settings: Settings, stateless: bool = False) -> AsyncIterator[str]:
    app = build_app(create_server(settings, clock=lambda: NOW), settings, "streamable-http", "127.0.0.1", stateless)
    async with serve_app(app, config=uvicorn_config(app, settings, "127.0.0.1", 0)) as url:
        yield url


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def is_closed(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True


async def test_a_connection_that_sends_no_headers_is_closed_at_the_deadline(settings: Settings) -> None:
    async with serve(settings.model_copy(update={"header_timeout": 0.5})) as url:
        silent = socket.create_connection(("127.0.0.1", port_of(url)))
        dripping = socket.create_connection(("127.0.0.1", port_of(url)))
        dripping.sendall(b"GET /healthz HTTP/1.1\r\n")
        await anyio.sleep(0.2)
        assert not is_closed(silent)
        await anyio.sleep(0.8)
        assert is_closed(silent)
        assert is_closed(dripping)
        silent.close()
        dripping.close()


@pytest.mark.waits
async def test_a_request_slower_than_the_header_deadline_is_answered(settings: Settings, simulator: Simulator) -> None:
    simulator.latency_ms = 1200  # each API answer takes longer than the deadline below
    async with serve(settings.model_copy(update={"header_timeout": 0.5})) as url, Client(f"{url}/mcp") as client:
        result = await client.call_tool("list_agents", {})
        again = await client.call_tool("list_agents", {})  # the same connections, between and after requests
    assert not result.is_error
    assert not again.is_error


async def test_past_the_cap_idle_connections_give_way_and_healthz_answers(settings: Settings) -> None:
    async with serve(settings.model_copy(update={"max_connections": 8, "header_timeout": 60})) as url:
        idle = [socket.create_connection(("127.0.0.1", port_of(url))) for _ in range(40)]
        await anyio.sleep(0.3)
        async with http_client() as http:
            for _ in range(5):
                assert (await http.get(f"{url}/healthz")).status_code == 200
        await anyio.sleep(0.3)
        still_open = sum(not is_closed(sock) for sock in idle)
        for sock in idle:
            sock.close()
    assert still_open <= 8


@pytest.mark.waits
async def test_sessions_are_capped_and_expire_when_idle(settings: Settings) -> None:
    limited = settings.model_copy(update={"max_sessions": 2, "session_idle_timeout": 1})
    async with serve(limited) as url, http_client() as http:
        opened = [await http.post(f"{url}/mcp", json=INIT, headers=MCP_HEADERS) for _ in range(3)]
        assert [r.status_code for r in opened] == [200, 200, 503]
        await anyio.sleep(1.6)
        again = await http.post(f"{url}/mcp", json=INIT, headers=MCP_HEADERS)
    assert again.status_code == 200


async def test_stateless_keeps_no_session(settings: Settings) -> None:
    async with serve(settings.model_copy(update={"max_sessions": 1}), stateless=True) as url, http_client() as h:
        statuses = [(await h.post(f"{url}/mcp", json=INIT, headers=MCP_HEADERS)).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"ASTRO_MCP_AUTH_TOKEN": "Bearer "}, "ASTRO_MCP_AUTH_TOKEN: holds no token"),
        ({"ASTRO_MCP_AUTH_TOKEN": "Bearer short"}, "at least 16 characters"),
        ({"ASTRO_ACCESS_TOKEN": "bearer"}, "ASTRO_ACCESS_TOKEN: holds no token"),
        ({"ASTRO_API_URL": "http://astro.example.com/api/v1"}, "would send the access token in clear"),
    ],
)
def test_unsafe_settings_are_refused_at_start(
    env: dict[str, str], words: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ConfigError, match=words):
        Settings.from_env(env)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert main(["serve", "--transport", "streamable-http", "--host", "0.0.0.0"]) == 2
    assert words in capsys.readouterr().err


def test_plain_http_is_allowed_on_loopback_or_when_asked_for() -> None:
    assert Settings.from_env({"ASTRO_API_URL": "http://127.0.0.1:8765/api/v1"}).api_url.startswith("http://127")
    insecure = {"ASTRO_API_URL": "http://astro.internal/api/v1", "ASTRO_MCP_ALLOW_INSECURE_API_URL": "1"}
    assert Settings.from_env(insecure).allow_insecure_api_url
