"""Upstream faults: each is injected, explained, and followed by a call that works."""

from __future__ import annotations

import json
import logging
import socket
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, MCPError
from pydantic import SecretStr

from astro_mcp.api import routes
from astro_mcp.api.client import AstroClient
from astro_mcp.api.credentials import TokenSource
from astro_mcp.api.tls import tls_context
from astro_mcp.config import Settings
from astro_mcp.domain import AgentRef, MetricsQuery
from astro_mcp.server import create_server
from astro_mcp.sim.app import Scripted, Simulator
from astro_mcp.sim.serve import serve_simulator
from tests.support import ANCHOR, NOW, text_of

pytestmark = pytest.mark.anyio

# One window, no comparison: each test counts and scripts the requests for that one window.
AGENT = {"account": "astro-team", "name": "weather-agent", "compare": "none"}
SECRET = "tok-SECRET-4f9a2c"


def error(status: int, message: str, **headers: str) -> Scripted:
    return Scripted(status, json.dumps({"error": message}).encode(), headers)


@pytest.mark.parametrize(
    "fault",
    [
        error(429, "slow down", **{"retry-after": "0"}),
        error(500, "internal error"),
        error(502, "failed to query metrics"),
        Scripted(504, b"<html><body>Gateway Timeout</body></html>", {"content-type": "text/html"}),
    ],
)
async def test_transient_statuses_are_retried_and_the_call_succeeds(
    settings: Settings, simulator: Simulator, fault: Scripted
) -> None:
    simulator.script("astro-team", "weather-agent", fault, fault)
    async with Client(create_server(settings, clock=lambda: NOW)) as client:
        result = await client.call_tool("get_agent_metrics", AGENT)
    assert not result.is_error, text_of(result)
    assert len(simulator.requests_to("metrics")) == 3


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        (error(401, "authentication required"), "rejected the access token"),
        (error(403, "insufficient permissions"), "No access to account"),
        (error(404, "account not found"), "no such account or agent"),
        (error(503, "observability not configured"), "Observability is not set up"),
    ],
)
async def test_statuses_that_retrying_cannot_fix_are_sent_once(
    settings: Settings, simulator: Simulator, fault: Scripted, words: str
) -> None:
    simulator.script("astro-team", "weather-agent", fault)
    async with Client(create_server(settings, clock=lambda: NOW)) as client:
        result = await client.call_tool("get_agent_metrics", AGENT)
        after = await client.call_tool("get_agent_metrics", AGENT)
    assert result.is_error
    assert words in text_of(result)
    assert len(simulator.requests_to("metrics")) == 2  # the failed call once, then the next call
    assert not after.is_error


async def test_persistent_failure_stops_after_the_attempt_limit(settings: Settings, simulator: Simulator) -> None:
    simulator.script("astro-team", "weather-agent", *[error(502, "failed to query metrics")] * 5)
    async with Client(create_server(settings, clock=lambda: NOW)) as client:
        result = await client.call_tool("get_agent_metrics", AGENT)
    assert result.is_error
    assert "HTTP 502 (the API said: failed to query metrics), also after retrying" in text_of(result)
    assert len(simulator.requests_to("metrics")) == settings.max_attempts


async def test_a_retry_after_beyond_the_call_budget_is_not_waited_for(settings: Settings, simulator: Simulator) -> None:
    simulator.script("astro-team", "weather-agent", error(429, "slow down", **{"retry-after": "3600"}))
    async with Client(create_server(settings.model_copy(update={"call_budget": 2}), clock=lambda: NOW)) as client:
        with anyio.fail_after(1.5):
            result = await client.call_tool("get_agent_metrics", AGENT)
    assert result.is_error
    assert "Wait 60 seconds, then retry" in text_of(result)  # what the API asked for, capped
    assert len(simulator.requests_to("metrics")) == 1


async def test_a_connection_error_is_retried(settings: Settings, api_url: str) -> None:
    """A refused connection, then the real simulator: the only fault here no HTTP server can send."""
    calls = 0
    real = httpx2.AsyncHTTPTransport(verify=tls_context())

    async def flaky(request: httpx2.Request) -> httpx2.Response:
        nonlocal calls
        calls += request.url.path.endswith("/metrics")  # the p95's summary request goes its own way
        if calls == 1:
            raise httpx2.ConnectError("connection refused", request=request)
        return await real.handle_async_request(request)

    server = create_server(settings, transport=httpx2.MockTransport(flaky), clock=lambda: NOW)
    async with Client(server) as client:
        result = await client.call_tool("get_agent_metrics", AGENT)
    await real.aclose()
    assert not result.is_error, text_of(result)
    assert calls == 2


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (Scripted(200, b"<!DOCTYPE html><html>Service Unavailable</html>", {"content-type": "text/html"}), "not JSON"),
        (Scripted(200, b"{not json"), "not JSON"),
        (Scripted(200, b'{"buckets": {"a": 1}}'), "breaks its contract"),
        (Scripted(200, b'{"buckets": [{"trace_count": 1}]}'), "timestamp: Field required"),
        (
            Scripted(
                200,
                b'{"buckets": [{"timestamp": "2026-11-25T08:00:00Z", "trace_count": 5, "avg_latency_ms": 10,'
                b' "input_tokens": -1, "output_tokens": 0, "error_count": 0}]}',
            ),
            "input_tokens: Input should be greater than or equal to 0",
        ),
        (Scripted(200, b'{"buckets": [' + b'{"x": 1},' * 200_000 + b"{}]}"), "larger than 1 MB"),
    ],
)
async def test_a_body_that_is_not_the_contract_is_a_clear_error_and_the_next_call_works(
    settings: Settings, simulator: Simulator, body: Scripted, words: str
) -> None:
    simulator.script("astro-team", "weather-agent", body)
    server = create_server(settings.model_copy(update={"max_response_mb": 1}), clock=lambda: NOW)
    async with Client(server) as client:
        result = await client.call_tool("get_agent_metrics", AGENT)
        after = await client.call_tool("get_agent_metrics", AGENT)
    assert result.is_error
    assert words in text_of(result)
    assert "Error executing tool get_agent_metrics: The answer could not be used" in text_of(result)
    assert not after.is_error


async def test_a_slow_api_times_out_with_a_message_and_the_next_call_works(
    settings: Settings, simulator: Simulator
) -> None:
    simulator.script("astro-team", "weather-agent", Scripted(delay=30))
    server = create_server(settings.model_copy(update={"read_timeout": 0.5, "max_attempts": 1}), clock=lambda: NOW)
    async with Client(server) as client:
        with anyio.fail_after(5):
            slow = await client.call_tool("get_agent_metrics", AGENT)
        after = await client.call_tool("get_agent_metrics", AGENT)
    assert slow.is_error
    assert "did not answer within 0.5 s" in text_of(slow)
    assert not after.is_error


async def test_a_cancelled_call_stops_its_upstream_request(settings: Settings, simulator: Simulator) -> None:
    simulator.script("astro-team", "weather-agent", Scripted(delay=30))
    async with Client(create_server(settings, clock=lambda: NOW)) as client:
        async with anyio.create_task_group() as calls:
            calls.start_soon(client.call_tool, "get_agent_metrics", AGENT)
            with anyio.fail_after(10):  # cancel only once the request has reached the API, however loaded the machine
                while not simulator.requests:
                    await anyio.sleep(0.02)
            calls.cancel_scope.cancel()
        with anyio.fail_after(5):
            while simulator.disconnects == 0:
                await anyio.sleep(0.02)
        after = await client.call_tool("get_agent_metrics", AGENT)
    assert simulator.disconnects == 1
    assert not after.is_error


@pytest.mark.waits(4)
async def test_the_token_never_appears_in_results_logs_or_errors(
    tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Every fault path with a recognisable token, logs at DEBUG: the token shows up nowhere."""
    caplog.set_level(logging.DEBUG)
    simulator = Simulator(anchor=ANCHOR, clock=lambda: NOW, tokens=frozenset({SECRET}))
    produced: list[str] = []
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/api/v1"
    async with serve_simulator(simulator) as url:
        settings = Settings(
            api_url=url,
            access_token=SecretStr(SECRET),
            credentials_file=tmp_path / "none.json",
            retry_backoff=0.01,
            read_timeout=0.5,
            max_response_mb=0.01,
        )
        for fault in (
            error(429, "slow down", **{"retry-after": "1"}),
            error(500, "boom"),
            Scripted(200, b"<html>oops</html>"),
            Scripted(delay=5),
        ):
            simulator.script("astro-team", "weather-agent", fault, fault, fault)
        calls: list[dict[str, Any]] = [
            AGENT,
            AGENT,
            AGENT,
            AGENT,
            {"account": "locked-org", "name": "x"},
            {"account": "ghost", "name": "x"},
            {"account": "fresh-org", "name": "x"},
            {"account": "expired-session", "name": "x"},
            {"account": "astro-team", "name": "broken-backend"},
            {"account": "astro-team", "name": "weather-agent", "start_time": "now-30d", "interval": 1},
            {"account": "Bad Slug", "name": "x"},
        ]
        for server in (
            create_server(settings, clock=lambda: NOW),
            create_server(settings.model_copy(update={"api_url": closed}), clock=lambda: NOW),
        ):
            async with Client(server) as client:
                for arguments in calls:
                    result = await client.call_tool("get_agent_metrics", arguments)
                    produced.append(result.model_dump_json())
                with pytest.raises(MCPError) as caught:
                    await client.read_resource("astro://agents/locked-org/x/metrics")
                produced.append(str(caught.value) + repr(caught.value))
        produced += [repr(settings), str(settings), repr(TokenSource(settings))]
        astro = AstroClient(settings, TokenSource(settings))
        produced.append(repr(astro))
        query = MetricsQuery(
            AgentRef("locked-org", "x"), NOW.replace(hour=0, minute=0, second=0), NOW.replace(second=0), 60
        )
        try:
            await routes.metrics(astro, query)
        except Exception as err:
            produced += [str(err), repr(err), repr(err.__cause__), repr(err.__context__)]
        await astro.aclose()
    produced += [record.getMessage() + str(record.args) + str(record.exc_text) for record in caplog.records]
    assert any("insufficient permissions" in p for p in produced)  # the scan saw the fault paths
    assert len(simulator.requests) > 10
    assert all(r.authorization == f"Bearer {SECRET}" for r in simulator.requests)  # the token was in use...
    leaks = [p for p in produced if SECRET in p]
    assert leaks == []  # ...and never shown
