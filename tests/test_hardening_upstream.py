"""A broken upstream, through a real MCP client: each call ends within its budget, says what went wrong in
bounded words, leaks no secret, and leaves the next call working."""

from __future__ import annotations

import gc
import json
import logging
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import anyio
import pytest
from mcp import Client
from mcp.server import MCPServer
from pydantic import SecretStr

from astro_mcp.api.cache import SingleFlightCache
from astro_mcp.config import Settings
from astro_mcp.domain import rfc3339
from astro_mcp.server import create_server
from astro_mcp.server.state import AppState
from astro_mcp.service import Service
from tests.fault_upstream import Drip, Echo, FaultUpstream, Reply, Reset, error_body, serve_faults
from tests.support import NOW, text_of

pytestmark = pytest.mark.anyio

AGENT = {"account": "astro-team", "name": "weather-agent", "compare": "none"}  # one metrics request a call
TOKEN = "tok-SECRET-4f9a2c-never-shown"
FLOOR = 2.0  # seconds a call may overrun its budget (scheduling and the MCP round trip on a loaded 2-core machine)


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[FaultUpstream, str]]:
    faults = FaultUpstream()
    async with serve_faults(faults) as url:
        yield faults, url


def server_for(url: str, **updates: object) -> MCPServer[AppState]:
    settings = Settings(api_url=url, access_token=SecretStr(TOKEN), retry_backoff=0.01).model_copy(update=updates)
    return create_server(settings, clock=lambda: NOW)


async def timed_call(client: Client, args: dict[str, str] = AGENT) -> tuple[float, str, bool]:
    started = anyio.current_time()
    result = await client.call_tool("get_agent_metrics", args)
    return anyio.current_time() - started, text_of(result), result.is_error


@pytest.mark.parametrize("head", [False, True], ids=["body", "headers"])
@pytest.mark.waits
async def test_a_dripping_answer_ends_at_the_call_budget(upstream: tuple[FaultUpstream, str], head: bool) -> None:
    faults, url = upstream
    faults.script(Drip(head=head, every=0.1))
    # 2 s: the budget is the whole call's now, and the next call's metrics and p95 must fit it on a loaded machine.
    # A byte comes every 0.1 s, so no read waits 1 s, even on a machine that holds a process a few tenths of a
    # second at a time: the budget, not the read timeout, ends the call.
    async with Client(server_for(url, call_budget=2, read_timeout=1.0)) as client:
        elapsed, text, failed = await timed_call(client)
        _, _, after_failed = await timed_call(client)
    assert failed
    assert "within the 2 s budget" in text
    assert elapsed < 2 + FLOOR
    assert not after_failed


@pytest.mark.waits(4)
async def test_slow_answers_cannot_starve_the_other_calls(upstream: tuple[FaultUpstream, str]) -> None:
    faults, url = upstream
    faults.script(*[Drip(every=0.2)] * 3)
    results: list[tuple[float, str, bool]] = []
    async with Client(server_for(url, call_budget=4, max_upstream_requests=3, max_attempts=1)) as client:

        async def call(name: str) -> None:
            results.append(await timed_call(client, {**AGENT, "name": name}))

        async with anyio.create_task_group() as tg:
            for n in range(3):
                tg.start_soon(call, f"slow-{n}")
            await anyio.sleep(0.3)  # the three slow calls hold every slot
            busy = await timed_call(client)
        _, _, after_failed = await timed_call(client)
    assert busy[2]
    assert "already has 3 requests waiting on the Astro API" in busy[1]
    assert busy[0] < 4 / 4 + FLOOR  # it fails fast, not at the end of the slow calls' budget
    assert all(failed and elapsed < 4 + FLOOR for elapsed, _, failed in results)
    assert not after_failed


@pytest.mark.parametrize(
    ("value", "words"), [("100000000000000004764729344", "Wait 60 seconds"), ("²", "Wait a minute")]
)
async def test_retry_after_is_capped_and_an_odd_value_is_harmless(
    upstream: tuple[FaultUpstream, str], value: str, words: str
) -> None:
    faults, url = upstream
    faults.behaviour = Reply(429, error_body("slow down"), {"Retry-After": value})
    async with Client(server_for(url, call_budget=2)) as client:
        elapsed, text, failed = await timed_call(client)
        faults.behaviour = Reply()
        _, _, after_failed = await timed_call(client)
    assert failed
    assert words in text
    assert elapsed < 2 + FLOOR
    assert not after_failed


async def test_a_huge_error_body_gives_a_short_message_and_short_logs(
    upstream: tuple[FaultUpstream, str], caplog: pytest.LogCaptureFixture
) -> None:
    faults, url = upstream
    faults.script(*[Reply(500, error_body("x" * 20_000_000))] * 3)
    caplog.set_level(logging.DEBUG)
    async with Client(server_for(url)) as client:
        _, text, failed = await timed_call(client)
        logged = len(caplog.text)  # the failed call's (the next one's ordinary lines are not the point)
        _, _, after_failed = await timed_call(client)
    assert failed
    assert "HTTP 500" in text
    assert len(text) < 2000
    assert logged < 20_000
    assert not after_failed


async def test_an_echoed_authorization_header_never_reaches_the_result(
    upstream: tuple[FaultUpstream, str], caplog: pytest.LogCaptureFixture
) -> None:
    faults, url = upstream
    faults.script(*[Echo()] * 3)
    caplog.set_level(logging.DEBUG)
    async with Client(server_for(url)) as client:
        _, text, failed = await timed_call(client)
    assert failed
    assert "[redacted]" in text  # the echo did come back, masked
    assert TOKEN not in text
    assert TOKEN not in caplog.text
    assert TOKEN in faults.requests[0]  # the token was really sent


async def test_credentials_in_the_api_url_never_appear(upstream: tuple[FaultUpstream, str]) -> None:
    faults, url = upstream
    faults.behaviour = Reset()
    with_secrets = url.replace("http://", "http://someone:pa55-w0rd@") + "?key=q-secret-42"
    async with Client(server_for(with_secrets)) as client:
        _, text, failed = await timed_call(client)
    assert failed
    assert "connection to the Astro API broke" in text
    assert "pa55-w0rd" not in text
    assert "q-secret-42" not in text


async def test_a_token_http_cannot_carry_is_not_sent_nor_retried(
    upstream: tuple[FaultUpstream, str], caplog: pytest.LogCaptureFixture
) -> None:
    faults, url = upstream
    caplog.set_level(logging.DEBUG)
    async with Client(server_for(url, access_token=SecretStr("abc\r\nX-Injected: 1"))) as client:
        _, text, failed = await timed_call(client)
    assert failed
    assert "contains control characters" in text  # refused where the token is loaded, before any request
    assert "X-Injected" not in text
    assert faults.requests == []
    assert "retrying" not in caplog.text


def metrics_body(**changes: object) -> Reply:
    bucket = {
        "timestamp": rfc3339(NOW - timedelta(hours=2)),
        "trace_count": 10,
        "avg_latency_ms": 100.0,
        "input_tokens": 5,
        "output_tokens": 5,
        "error_count": 1,
    }
    interval = changes.pop("interval_minutes", 60)
    body = json.dumps({"buckets": [{**bucket, **changes}], "interval_minutes": interval}).encode()
    return Reply(200, body)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (metrics_body(interval_minutes=0), "interval_minutes: Input should be greater than or equal to 1"),
        (metrics_body(interval_minutes=-5), "interval_minutes"),
        (metrics_body(trace_count=10**400), "trace_count"),
        (metrics_body(error_count=10**309), "error_count"),
        (metrics_body(input_tokens=10**309), "input_tokens"),
        (metrics_body(avg_latency_ms=1.7e308), "avg_latency_ms"),
    ],
)
async def test_implausible_numbers_are_named(upstream: tuple[FaultUpstream, str], body: Reply, words: str) -> None:
    faults, url = upstream
    faults.script(body)
    async with Client(server_for(url)) as client:
        _, text, failed = await timed_call(client)
        _, _, after_failed = await timed_call(client)
    assert failed
    assert "implausible data" in text
    assert words in text
    assert not after_failed


async def test_the_cache_holds_no_more_bytes_than_its_cap(upstream: tuple[FaultUpstream, str]) -> None:
    """12 distinct answers of 2,500 buckets (some 1.2 MB each once parsed) through a cache capped at 2 MB."""
    faults, url = upstream

    def answer(query: dict[str, str]) -> bytes:
        bucket = {"timestamp": query["start_time"], "trace_count": 1, "avg_latency_ms": 1}
        bucket |= {"input_tokens": 1, "output_tokens": 1, "error_count": 0}
        one = json.dumps(bucket).encode()  # joined, not dumped 2,500 times: tracemalloc slows every allocation
        return b'{"buckets":[' + b",".join([one] * 2_500) + b"]}"

    faults.behaviour = Reply(200, answer)
    settings = Settings(api_url=url, access_token=SecretStr(TOKEN), cache_mb=2)
    service = Service(settings, lambda: NOW)
    gc.collect()
    tracemalloc.start()
    try:
        for day in range(12):
            await service.metrics.raw(
                service.read.metrics("astro-team", "weather-agent", f"now-{day + 2}d", f"now-{day + 1}d", None)
            )
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        await service.aclose()
    assert held < 3 * 1024 * 1024  # the cap and some change; without a byte cap, 12 answers hold some 15 MB


async def test_expired_answers_are_dropped_without_being_asked_for_again() -> None:
    now = [0.0]
    cache: SingleFlightCache[str, bytes] = SingleFlightCache(100, len, clock=lambda: now[0])

    async def value() -> bytes:
        return b"x" * 40

    await cache.get("a", 10, value)
    await cache.get("b", 10, value)
    now[0] = 11
    await cache.get("c", 10, value)
    assert cache.weight == 40


async def test_an_answer_fetched_again_after_it_expired_lives_for_its_new_ttl() -> None:
    now = [0.0]
    fetched: list[str] = []
    cache: SingleFlightCache[str, bytes] = SingleFlightCache(1000, len, clock=lambda: now[0])

    def fetch(key: str) -> Callable[[], Awaitable[bytes]]:
        async def value() -> bytes:
            fetched.append(key)
            return b"x" * 10

        return value

    await cache.get("a", 10, fetch("a"))
    now[0] = 11
    await cache.get("a", 10, fetch("a"))  # expired: fetched again, until 21
    now[0] = 12
    await cache.get("b", 10, fetch("b"))  # the sweep meets a's first expiry, 10
    now[0] = 15
    await cache.get("a", 10, fetch("a"))
    assert fetched == ["a", "a", "b"]
    assert cache.weight == 20


async def test_a_fetch_started_in_a_task_group_goes_on_when_its_caller_stops_waiting_and_is_fetched_once() -> None:
    fetched: list[str] = []
    release = anyio.Event()
    cache: SingleFlightCache[str, bytes] = SingleFlightCache(1000, len)

    async def value() -> bytes:
        fetched.append("a")
        await release.wait()
        return b"done"

    async with anyio.create_task_group() as tg:
        cache.start(tg, "a", 10, value)
        cache.start(tg, "a", 10, value)  # already in flight: not started twice
        with anyio.move_on_after(0.05):
            await cache.get("a", 10, value)
            pytest.fail("the value is not ready yet")
        release.set()
        assert await cache.get("a", 10, value) == b"done"  # the same flight, not a new fetch
    cache.start(tg, "a", 10, value)  # kept: not fetched again
    assert fetched == ["a"]


async def test_a_started_fetch_that_fails_tells_the_callers_waiting_and_is_not_kept() -> None:
    cache: SingleFlightCache[str, bytes] = SingleFlightCache(1000, len)
    gate = anyio.Event()

    async def broken() -> bytes:
        await gate.wait()
        raise ValueError("upstream said no")

    async def fine() -> bytes:
        return b"ok"

    async with anyio.create_task_group() as tg:
        cache.start(tg, "a", 10, broken)
        gate.set()
        with pytest.raises(ValueError, match="upstream said no"):
            await cache.get("a", 10, fine)
    assert await cache.get("a", 10, fine) == b"ok"
