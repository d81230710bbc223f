"""What the server costs a model's context: the tool list on every turn, and every answer, for any account size."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.types import CallToolResult
from pydantic import SecretStr

from astro_mcp.config import Settings
from astro_mcp.render.answer import BOUND
from astro_mcp.sim.app import DEMO_TOKEN, Simulator
from astro_mcp.sim.fleet import HUGE_ORG_SIZE, with_huge_org
from astro_mcp.sim.serve import serve_simulator
from tests.support import ANCHOR, NOW, server_at_now, text_of

pytestmark = pytest.mark.anyio

TOOLS_LIST_BUDGET = 12_000  # characters of the tools in the tools/list result, as they go over the wire


def wire_size(value: object) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_the_tool_list_fits_its_budget_and_still_says_when_to_use_each_tool(
    settings: Settings, mode: str
) -> None:
    async with Client(server_at_now(settings), mode=mode) as client:
        listed = await client.list_tools()
    # What a host hands its model: the tools. (On 2026-07-28 the result's `_meta` also carries the server's
    # info, its icon included, as every result does; no host shows that to a model.)
    size = wire_size(listed.model_dump(mode="json", by_alias=True, exclude_none=True, include={"tools"}))
    assert size <= TOOLS_LIST_BUDGET, f"tools/list is {size:,} characters; the budget is {TOOLS_LIST_BUDGET:,}"
    said = {tool.name: " ".join((tool.description or "").split()) for tool in listed.tools}
    assert "start here" in said["get_account_overview"]
    assert "Call it first when the account or agent names are not known" in said["list_agents"]
    assert "Use it for one agent" in said["get_agent_metrics"]
    assert "Use it after get_agent_metrics" in said["get_agent_traces"]
    for tool in listed.tools:
        assert tool.output_schema is not None, tool.name
        assert {"status", "headline"} <= set(tool.output_schema["properties"]), tool.name


@pytest.fixture
async def huge(simulator: Simulator, tmp_path: Path) -> AsyncIterator[Settings]:
    """A simulator with `huge-org` (3,000 deployments, 20 agents registered only) beside the usual accounts."""
    accounts, agents = with_huge_org()
    sim = Simulator(anchor=ANCHOR, clock=lambda: NOW, accounts=accounts, agents=agents)
    async with serve_simulator(sim) as url:
        yield Settings(api_url=url, access_token=SecretStr(DEMO_TOKEN), credentials_file=tmp_path / "absent.json")


def sizes(result: CallToolResult) -> tuple[int, int]:
    return len(text_of(result)), wire_size(result.structured_content)


async def walk(client: Client, tool: str, arguments: dict[str, Any]) -> list[CallToolResult]:
    """Every page of a listing, following next_cursor as a model would."""
    pages = [await client.call_tool(tool, arguments)]
    while (cursor := (pages[-1].structured_content or {}).get("next_cursor")) is not None:
        assert f"cursor='{cursor}'" in text_of(pages[-1]), "the text must say how to read the next page"
        pages.append(await client.call_tool(tool, {**arguments, "cursor": cursor}))
        assert len(pages) < 500, "paging does not end"
    for page in pages:
        assert not page.is_error, text_of(page)
        text, structured = sizes(page)
        assert text + structured <= BOUND, f"{tool} page of {text:,} + {structured:,} characters"
    return pages


async def test_every_agent_of_3000_deployments_is_on_exactly_one_page_of_list_agents(huge: Settings) -> None:
    async with Client(server_at_now(huge)) as client:
        pages = await walk(client, "list_agents", {"account": "huge-org"})
        everyone = await walk(client, "list_agents", {})
    seen = [a["name"] for p in pages for account in p.structured_content["accounts"] for a in account["agents"]]
    assert len(seen) == len(set(seen)) == HUGE_ORG_SIZE + 20
    assert len(pages) > 1
    first = pages[0].structured_content
    assert first is not None
    assert list(first)[:2] == ["status", "headline"]
    assert first["headline"] == (
        "1 account, 3,020 agents: 3,000 deployed (2,936 running, 33 pending, 31 stopped), 20 registered only."
    )
    assert first["more_agents"] == HUGE_ORG_SIZE + 20 - len(first["accounts"][0]["agents"])
    names = {
        (account["name"], a["name"])
        for p in everyone
        for account in p.structured_content["accounts"]
        for a in account["agents"]
    }
    assert len({n for n in names if n[0] == "huge-org"}) == HUGE_ORG_SIZE + 20


async def test_a_cursor_keeps_its_list_and_a_forged_one_is_refused_with_the_fix(huge: Settings) -> None:
    async with Client(server_at_now(huge)) as client:
        first = await client.call_tool("list_agents", {"account": "huge-org"})
        cursor = (first.structured_content or {})["next_cursor"]
        other = await client.call_tool("list_agents", {"account": "astro-team", "cursor": cursor})
        forged = await client.call_tool("list_agents", {"cursor": "bm90IGEgY3Vyc29y"})
    assert other.is_error
    assert "This cursor pages list_agents's answer for account='huge-org', not account='astro-team'" in text_of(other)
    assert forged.is_error
    assert "is not a cursor list_agents gave: pass next_cursor from its last answer unchanged" in text_of(forged)
