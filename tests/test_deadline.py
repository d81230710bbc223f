"""One deadline per tool call: it answers by its budget (and a little), with what it has."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import anyio
import pytest
from mcp import Client
from pydantic import SecretStr

from astro_mcp.config import Settings
from astro_mcp.server import create_server
from astro_mcp.sim.app import Scripted, Simulator
from astro_mcp.sim.fleet import ACCOUNTS
from tests.fault_upstream import Drip, FaultUpstream, Reply, serve_faults
from tests.support import NOW, server_at_now, text_of

pytestmark = pytest.mark.anyio

OVERRUN = 2.0  # what a call may take past its budget: answering with what it has, on a loaded machine
HANG = Scripted(delay=60)  # held open until the client goes away
AGENTS = sorted(ACCOUNTS["astro-team"].deployed)


async def timed(client: Client, tool: str, args: Mapping[str, object]) -> tuple[float, str, dict[str, Any], bool]:
    started = anyio.current_time()
    result = await client.call_tool(tool, dict(args))
    return anyio.current_time() - started, text_of(result), result.structured_content or {}, result.is_error


@pytest.mark.waits
async def test_an_overview_with_hanging_agents_answers_by_its_budget_with_the_rows_that_are_done(
    settings: Settings, simulator: Simulator
) -> None:
    hanging = AGENTS[:2]
    for name in hanging:
        simulator.script("astro-team", name, *[HANG] * 4)
    # One request in flight at a time: before, each hanging agent took a budget of its own, one after the other.
    # Now each holds the one place for an eighth of the budget (1 s at least), and the others get their turn.
    server = server_at_now(settings, call_budget=4.0, max_concurrency=1, cache_ttl=0)
    async with Client(server) as client:
        took, text, content, failed = await timed(client, "get_account_overview", {"account": "astro-team"})
    assert not failed, text
    assert took < 4.0 + OVERRUN
    rows = {str(r["name"]): r for r in content["agents"]}
    assert set(rows) == set(AGENTS)
    for name in hanging:
        assert rows[name]["status"] == "failed"
        assert "timed out" in str(rows[name]["error"])
    others = [rows[name] for name in AGENTS if name not in hanging]
    assert all("timed out" not in str(r["error"]) for r in others)  # not lost with the hanging ones
    assert sum(r["status"] != "failed" for r in others) >= len(others) - 1  # one of them is broken on purpose


@pytest.fixture
async def faults() -> AsyncIterator[tuple[FaultUpstream, str]]:
    upstream = FaultUpstream()
    async with serve_faults(upstream) as url:
        yield upstream, url


@pytest.mark.waits
async def test_list_agents_over_many_slow_accounts_answers_by_its_budget(faults: tuple[FaultUpstream, str]) -> None:
    upstream, url = faults
    me = {"user": {}, "accounts": [{"name": f"team-{i}", "agents": [{"name": "a"}]} for i in range(8)]}
    upstream.by_path["/api/v1/me "] = Reply(body=json.dumps(me).encode())
    upstream.by_path["/deployments?"] = Drip(every=0.5)  # each account's deployments never finish arriving
    settings = Settings(api_url=url, access_token=SecretStr("tok-deadline-0001"), call_budget=2.0, max_concurrency=1)
    async with Client(create_server(settings, clock=lambda: NOW)) as client:
        took, text, content, failed = await timed(client, "list_agents", {})
    assert not failed, text
    assert took < 2.0 + OVERRUN  # it was a budget per account, one after the other
    accounts = content["accounts"]
    assert len(accounts) == 8
    assert all("timed out" in str(a["error"]) for a in accounts)


@pytest.mark.waits
async def test_the_per_deployment_fallback_answers_by_the_calls_budget(faults: tuple[FaultUpstream, str]) -> None:
    """Three slow requests one after the other (the missing route, the deployments, the deployment's metrics):
    each used to get a budget of its own."""
    upstream, url = faults
    deployments = {"deployments": [{"id": "dep-1", "name": "weather-agent"}]}
    upstream.by_path["/agents/"] = Reply(404, b"404 page not found", delay=1.2)
    upstream.by_path["/deployments?"] = Reply(body=json.dumps(deployments).encode(), delay=1.2)
    upstream.by_path["/deployments/"] = Reply(delay=1.2)
    settings = Settings(api_url=url, access_token=SecretStr("tok-deadline-0001"), call_budget=2.0)
    async with Client(create_server(settings, clock=lambda: NOW)) as client:
        args = {"account": "astro-team", "name": "weather-agent", "compare": "none"}
        took, text, _, failed = await timed(client, "get_agent_metrics", args)
    assert failed
    assert took < 2.0 + OVERRUN  # it was 3.6 s and more
    assert "2 s budget" in text
