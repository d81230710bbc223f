"""Hostile bodies from the API: bounded in memory and time, the loop never frozen, traces cut to what was asked."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import AsyncIterator

import anyio
import pytest
from mcp import Client
from pydantic import SecretStr

from astro_mcp.api import bounded
from astro_mcp.api.bounded import Shape, TooComplexError
from astro_mcp.api.wire import DeploymentsResponse, MetricsResponse, TracesResponse
from astro_mcp.config import Settings
from astro_mcp.server import create_server
from tests.fault_upstream import FaultUpstream, Reply, serve_faults
from tests.support import NOW, text_of

pytestmark = pytest.mark.anyio

TRACE = {"trace_id": "t", "name": "op", "status": "error", "latency_ms": 5.0, "timestamp": "2026-11-25T09:00:00Z"}
ARGS = {"account": "astro-team", "name": "weather-agent", "status": "all", "start_time": "now-1h"}


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[FaultUpstream, str]]:
    faults = FaultUpstream()
    async with serve_faults(faults) as url:
        yield faults, url


def server_for(url: str) -> Client:
    settings = Settings(api_url=url, access_token=SecretStr("tok-bodies-0001"), retry_backoff=0.01)
    return Client(create_server(settings, clock=lambda: NOW))


async def decoded_with_peak(body: bytes, model: type[bounded.M], shape: Shape) -> tuple[object, int, float]:
    """The decoded body (or the error), the peak traced memory, and the longest the loop went unserved."""
    gaps: list[float] = []
    done = anyio.Event()

    async def tick() -> None:
        last = anyio.current_time()
        while not done.is_set():
            await anyio.sleep(0.01)
            now = anyio.current_time()
            gaps.append(now - last)
            last = now

    tracemalloc.start()
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(tick)
            try:
                result: object = await bounded.decode(body, model, shape)
            except TooComplexError as err:
                result = err
            done.set()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, peak, max(gaps, default=0.0)


async def test_thirty_megabytes_of_tiny_objects_take_little_memory_and_never_freeze_the_loop() -> None:
    body = b'{"buckets": [' + b"{}," * 10_500_000 + b"{}]}"  # 31.5 MB, 10.5 million objects
    result, peak, gap = await decoded_with_peak(body, MetricsResponse, Shape())
    assert isinstance(result, TooComplexError)
    assert "far more than any real answer" in str(result)
    assert peak < 150 << 20  # besides the body itself; it took 6.7 GB
    assert gap < 1.0


async def test_a_long_list_is_cut_to_the_routes_bound_while_it_is_read() -> None:
    body = b'{"deployments": [' + b'{"name": "a"},' * 2_000_000 + b'{"name": "z"}], "count": 2000001}'
    result, peak, gap = await decoded_with_peak(body, DeploymentsResponse, Shape(items="deployments", max_items=5))
    assert isinstance(result, DeploymentsResponse)
    assert [d.name for d in result.deployments] == ["a"] * 5
    assert peak < 150 << 20
    assert gap < 1.0


async def test_strings_are_cut_while_they_are_read() -> None:
    rows = [{**TRACE, "input": "x" * 3_000_000} for _ in range(4)]
    body = json.dumps({"traces": rows, "total": 4}).encode()
    result, _, _ = await decoded_with_peak(body, TracesResponse, Shape(items="traces", max_items=3, max_chars=1000))
    assert isinstance(result, TracesResponse)
    assert len(result.traces) == 3
    assert all(isinstance(t.input, str) and len(t.input) == 1000 for t in result.traces)


async def test_a_page_of_twenty_thousand_traces_is_read_as_the_rows_asked_for(
    upstream: tuple[FaultUpstream, str],
) -> None:
    faults, url = upstream
    rows = [{**TRACE, "trace_id": f"t{i}", "name": f"op{i}", "input": "question " * 20} for i in range(20_000)]
    faults.behaviour = Reply(body=json.dumps({"traces": rows, "total": 20_000}).encode())
    async with server_for(url) as client:
        result = await client.call_tool("get_agent_traces", {**ARGS, "limit": 5})
    assert not result.is_error, text_of(result)
    shown = json.dumps(result.structured_content)
    assert len(shown) < 60_000  # it was 1.9 million characters, every operation a group
    assert len(result.structured_content["traces"]) == 5
    assert "None to show" not in text_of(result)


async def test_a_traces_page_too_large_to_read_is_asked_again_with_fewer_rows_and_says_so(
    upstream: tuple[FaultUpstream, str],
) -> None:
    faults, url = upstream

    def page(params: dict[str, str]) -> bytes:
        # No limit: the server's /openapi.json, which this upstream does not have.
        rows = [{**TRACE, "trace_id": f"t{i}", "input": "y" * 1_000_000} for i in range(int(params.get("limit", 0)))]
        return json.dumps({"traces": rows, "total": 200}).encode()

    faults.behaviour = Reply(body=page)
    async with server_for(url) as client:
        result = await client.call_tool("get_agent_traces", {**ARGS, "limit": 10})
    assert not result.is_error, text_of(result)
    asked = [r.split(" ", 2)[1] for r in faults.requests]
    assert [a for a in asked if "limit=" in a][-1].count("limit=12") == 1  # 50 -> 25 -> 12 rows: 12 MB fits
    assert "larger than 16 MB" in text_of(result)
    assert "12 were asked for instead" in text_of(result)
    assert 0 < len(result.structured_content["traces"]) <= 10


async def test_a_deployment_id_that_is_not_a_plain_id_never_reaches_the_request_path(
    upstream: tuple[FaultUpstream, str],
) -> None:
    faults, url = upstream
    faults.by_path["/agents/"] = Reply(404, b"404 page not found")  # a router without the per-agent route
    faults.by_path["/deployments?"] = Reply(
        body=json.dumps({"deployments": [{"id": "..", "name": "weather-agent"}]}).encode()
    )
    async with server_for(url) as client:
        result = await client.call_tool("get_agent_metrics", {"account": "astro-team", "name": "weather-agent"})
    assert result.is_error
    assert "not a plain id" in text_of(result)
    paths = [r.split(" ", 2)[1] for r in faults.requests]
    sent = (
        "/openapi.json",
        "/api/v1/agents/",
        "/api/v1/deployments?",
        "/api/v1/accounts/astro-team/",
    )  # its cost summary
    assert all(p.startswith(sent) for p in paths), paths


@pytest.mark.parametrize("field", ["limit", "offset"])
async def test_true_is_not_taken_for_one(upstream: tuple[FaultUpstream, str], field: str) -> None:
    _, url = upstream
    async with server_for(url) as client:
        result = await client.call_tool("get_agent_traces", {**ARGS, field: True})
    assert result.is_error
    assert f"{field}=true is not accepted: send a whole number" in text_of(result)
