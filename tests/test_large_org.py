"""large-org's 500 agents: the default overview's first page and every page after it, in cost order, what it says
while it reads, and list_agents beside it. All of it is asked once, of one server, by the module's fixture (the
module runs on one worker: ONE_WORKER in conftest.py), and every test asserts on it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from mcp import Client
from mcp.types import CallToolResult

from astro_mcp.render.answer import BOUND
from astro_mcp.sim.app import Simulator
from tests.support import UNHURRIED, server_at_now, settings_at, text_of
from tests.test_budgets import sizes, walk
from tests.test_cost import said
from tests.test_progress import Heard, said_each_agent_read

pytestmark = pytest.mark.anyio

LARGE_ORG = {"account": "large-org"}
AT_A_TIME = 4


@dataclass(frozen=True)
class Asked:
    """The default overview (the last 24 hours) worst first and what it said while it read, every page of it, then
    by cost with its next page, and list_agents: from one server."""

    first: CallToolResult
    heard: Heard
    in_flight: int  # the most metrics requests the simulator had at once while it read
    listed: CallToolResult
    pages: list[CallToolResult]
    by_cost: CallToolResult
    next_by_cost: CallToolResult
    resorted: CallToolResult  # the cost order's cursor, with sort='name'


@pytest.fixture(scope="module")
async def asked(api_url: str, shared_simulator: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Asked:
    # The walk's 30-odd pages take longer than the live window's 10 s in the cache: kept by live_cache_ttl, each
    # page is read from the cache instead of asking 1,000 windows again (the cache's policy is tested on its own),
    # and so is the cost order: the same rows, sorted another way.
    settings = settings_at(api_url, tmp_path_factory.mktemp("large-org"))
    shared_simulator.reset()
    shared_simulator.latency_ms = 10  # answers overlap, as over a network
    heard = Heard()
    try:
        async with Client(
            server_at_now(settings, max_concurrency=AT_A_TIME, call_budget=UNHURRIED, live_cache_ttl=600)
        ) as client:
            first = await client.call_tool("get_account_overview", LARGE_ORG, progress_callback=heard)
            in_flight = shared_simulator.max_in_flight
            shared_simulator.latency_ms = 0
            listed = await client.call_tool("list_agents", {})
            pages = await walk(client, "get_account_overview", LARGE_ORG)  # its first page again, from the cache
            by_cost = await client.call_tool("get_account_overview", {**LARGE_ORG, "sort": "cost"})
            cursor = (by_cost.structured_content or {}).get("next_cursor")
            page = {**LARGE_ORG, "cursor": cursor}
            next_by_cost = await client.call_tool("get_account_overview", page)
            resorted = await client.call_tool("get_account_overview", {**page, "sort": "name"})
    finally:
        shared_simulator.reset()
    return Asked(first, heard, in_flight, listed, pages, by_cost, next_by_cost, resorted)


async def test_an_overview_of_500_agents_leads_with_the_two_in_trouble_and_counts_the_rest(
    asked: Asked,
) -> None:
    text, s = said(asked.first)
    assert asked.in_flight == 4  # metrics requests at once: the bound, reached
    assert len(text) <= BOUND
    assert len(json.dumps(s)) <= BOUND
    assert list(s)[:2] == ["status", "headline"]
    assert s["agents"][0]["name"] == "agent-013"
    shown = sum(1 for line in text.splitlines() if line[:2] in ("⚠ ", "✓ ", "✗ ", "· ", "- "))
    assert shown == len(s["agents"]) < 500
    assert shown + s["more_agents"] == 500
    assert s["more_by_status"] == {"healthy": s["more_agents"]}
    assert f"... and {s['more_agents']} more: {s['more_agents']} healthy." in text
    assert f"Next page: get_account_overview(account='large-org', cursor='{s['next_cursor']}')." in text


async def test_every_agent_of_the_500_agent_overview_is_on_exactly_one_page_worst_first(asked: Asked) -> None:
    pages = asked.pages  # each page within the bound, and the next one's call in its text (`walk`)
    rows = [row for p in pages for row in (p.structured_content or {})["agents"]]
    assert len(rows) == len({r["name"] for r in rows}) == 500
    assert rows[0]["name"] == "agent-013"
    windows = {json.dumps((p.structured_content or {})["window"]) for p in pages}
    assert len(windows) == 1, "every page answers for the first page's window"
    offsets = [(p.structured_content or {})["offset"] for p in pages]
    assert offsets[:2] == [0, len((pages[0].structured_content or {})["agents"])]


async def test_sort_cost_lists_the_most_expensive_agents_first_and_its_cursor_keeps_that_order(
    asked: Asked,
) -> None:
    text, page1 = said(asked.by_cost)
    _, page2 = said(asked.next_by_cost)
    for result in (asked.by_cost, asked.next_by_cost):
        assert len(text_of(result)) + len(json.dumps(result.structured_content, separators=(",", ":"))) <= BOUND
    assert "Agents by cost, highest first:" in text
    assert (page1["sort"], page2["sort"]) == ("cost", "cost")
    rows = page1["agents"] + page2["agents"]
    costs = [r["cost_usd"] for r in rows if r["cost_usd"] is not None]
    assert costs == sorted(costs, reverse=True)
    assert len(costs) == len(rows) > 20  # every running agent has a cost: none was pushed to the end
    assert len({r["name"] for r in rows}) == len(rows)  # the second page starts where the first ended
    assert asked.resorted.is_error
    said_instead = text_of(asked.resorted)
    assert "This cursor pages get_account_overview's answer for sort='cost', not sort='name'" in said_instead


async def test_list_agents_and_the_500_agent_overview_fit_on_their_first_page(asked: Asked) -> None:
    for result in (asked.listed, asked.first):
        text, structured = sizes(result)
        assert text + structured <= BOUND  # together, as the fitter bounds them: each fits on its own


async def test_an_overview_of_500_agents_says_each_agent_read_n_of_n_from_its_first_request(asked: Asked) -> None:
    assert not asked.first.is_error, text_of(asked.first)
    said_each_agent_read(asked.heard, "large-org", 500, at_a_time=AT_A_TIME)
