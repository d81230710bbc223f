"""Fuzzing the tool: whatever a model sends, it gets a tool result, and nothing refused goes out."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.types import CallToolResult
from pydantic import SecretStr

from astro_mcp.config import Settings
from astro_mcp.server import create_server
from astro_mcp.sim.app import DEMO_TOKEN, Simulator
from astro_mcp.sim.serve import serve_simulator
from tests.support import ANCHOR, NOW, examples

SLUG = r"[a-z0-9][a-z0-9_-]{0,63}"
SENT_PATH = re.compile(
    rf"^/api/v1/(agents/{SLUG}/{SLUG}/(observability/(metrics|summary|traces)|deployment/history)"
    r"|deployments/[\w-]+/(alerts|events|runtime|observability/traces/[0-9a-f]+))$"  # an incident's context
)
COST_PATH = re.compile(rf"^/api/v1/accounts/{SLUG}/observability/deployments-summary$")  # from and to, not *_time
SENT_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00Z$")
NAME_LOOKUPS = ("/api/v1/me", "/api/v1/deployments")  # after a 404: the user's real names, for "did you mean"

Fuzz = tuple[BlockingPortal, Client, Simulator]


@asynccontextmanager
async def _running(simulator: Simulator) -> AsyncIterator[Client]:
    async with serve_simulator(simulator) as url:
        server = create_server(
            Settings(
                api_url=url,
                access_token=SecretStr(DEMO_TOKEN),
                credentials_file=Path("/nonexistent/credentials.json"),
                retry_backoff=0.01,
            ),
            clock=lambda: NOW,
        )
        async with Client(server) as client:
            yield client


@pytest.fixture(scope="module")
def fuzz() -> Iterator[Fuzz]:
    simulator = Simulator(anchor=ANCHOR, clock=lambda: NOW)
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(_running(simulator)) as client:
        yield portal, client, simulator


tricky = st.sampled_from(
    [
        "../x",
        "a/b",
        "%2e%2e",
        "astro team",
        "ａｓｔｒｏ",
        "astro\u200bteam",
        "a\x00b",
        "",
        " ",
        "a" * 100_000,
        "é" * 5_000,
        "now",
        "now-1h",
        "now-90d",
        "now+5d",
        "now-9999999w",
        "now-1.5h",
        "7d",
        "24h",
        "1h",
        "15m",
        "0",
        "-1",
        "1e9",
        "NaN",
        "2026-11-24T00:00:00Z",
        "2026-11-24T00:00:00+14:00",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "2026-02-30T00:00:00Z",
    ]
)
slugs = st.sampled_from(["astro-team", "weather-agent", "support-bot", "new-agent", "locked-org", "ghost", "fresh-org"])
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    tricky,
    slugs,
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
anything = st.builds(
    lambda required, optional, extra: {**extra, **required, **optional},
    st.fixed_dictionaries({}, optional={"account": st.one_of(slugs, values), "name": st.one_of(slugs, values)}),
    st.fixed_dictionaries({}, optional={"start_time": values, "end_time": values, "interval": values}),
    st.dictionaries(st.text(max_size=12), values, max_size=3),
)
# Calls a model would plausibly make, now and then with one field gone wrong: these reach the network.
plausible_times = st.sampled_from(["now", "now-1h", "now-6h", "now-2d", "24h", "7d", "2026-11-24T00:00:00Z"])
plausible_intervals = st.sampled_from([1, 5, 7, 60, "15m", "1h", "1d", "60"])
plausible = st.builds(
    lambda base, optional, junk: {**base, **optional, **junk},
    st.fixed_dictionaries(
        {
            "account": st.sampled_from(["astro-team", "astro-team", "astro-team", "locked-org", "ghost"]),
            "name": st.sampled_from(["weather-agent", "support-bot", "batch-agent", "new-agent", "nobody"]),
        }
    ),
    st.fixed_dictionaries(
        {}, optional={"start_time": plausible_times, "end_time": plausible_times, "interval": plausible_intervals}
    ),
    st.one_of(
        st.just({}), st.just({}), st.dictionaries(st.sampled_from(["start_time", "interval", "x"]), values, max_size=1)
    ),
)
arguments = st.one_of(anything, plausible)


async def _call(client: Client, args: dict[str, Any]) -> CallToolResult:
    with anyio.fail_after(20):
        return await client.call_tool("get_agent_metrics", args)


@given(args=arguments)
@settings(max_examples=examples(2000), deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_arguments_end_in_a_tool_result_and_nothing_refused_is_sent(fuzz: Fuzz, args: dict[str, Any]) -> None:
    portal, client, simulator = fuzz
    before = len(simulator.requests)
    result = portal.call(partial(_call, client, args))
    assert isinstance(result, CallToolResult)
    sent = simulator.requests[before:]
    event("answered" if not result.is_error else "error after a request" if sent else "refused, nothing sent")
    if result.is_error:
        assert result.content
        assert result.structured_content is None
    else:
        assert result.structured_content is not None
    for request in (r for r in sent if r.path not in NAME_LOOKUPS and r.path != "/openapi.json"):  # read once
        if COST_PATH.match(request.path):
            assert SENT_TIME.match(request.query["from"])
            assert SENT_TIME.match(request.query["to"])
            continue
        assert SENT_PATH.match(request.path), request.path
        if "/observability/" in request.path and "/observability/traces/" not in request.path:
            assert SENT_TIME.match(request.query["start_time"])
            assert SENT_TIME.match(request.query["end_time"])
        assert not request.path.endswith("/metrics") or request.query["interval"].isdigit()


TOOLS = ["list_agents", "get_account_overview", "get_agent_metrics", "get_agent_traces"]
every_tool_arguments = st.builds(
    lambda base, more: {**base, **more},
    arguments,
    st.fixed_dictionaries(
        {},
        optional={
            "status": st.one_of(st.sampled_from(["error", "ok", "all"]), values),
            "limit": st.one_of(st.integers(-5, 80), values),
            "offset": st.one_of(st.integers(-5, 10**7), values),
            "compare": st.one_of(st.sampled_from(["previous", "week", "none"]), values),
        },
    ),
)


@given(tool=st.sampled_from(TOOLS), args=every_tool_arguments)
@settings(max_examples=examples(600), deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_arguments_to_any_tool_end_in_a_result_in_our_words(fuzz: Fuzz, tool: str, args: dict[str, Any]) -> None:
    portal, client, _ = fuzz

    async def call() -> CallToolResult:
        with anyio.fail_after(30):
            return await client.call_tool(tool, args)

    result = portal.call(call)
    assert isinstance(result, CallToolResult)
    text = "\n".join(getattr(c, "text", "") for c in result.content)
    if result.is_error:
        assert text
        assert "validation error" not in text  # pydantic's own wording never reaches the model
        assert text != f"Error executing tool {tool}"  # a bare error: something crashed
    else:
        assert result.structured_content is not None
