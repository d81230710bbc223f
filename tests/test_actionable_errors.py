"""Refusals a person, and a model, can act on: the user's real names for a wrong one, the accepted values for a
refused argument, an undeployed agent said as such, and overview rows cut between words."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import anyio
import pytest
from mcp import Client

from astro_mcp.analysis.overview import ROW_CHARS
from astro_mcp.analysis.results.overview import AccountOverview, AgentRow, OverviewWindow
from astro_mcp.config import Settings
from astro_mcp.render import overview as rendering
from astro_mcp.sim.app import Simulator
from tests.support import NOW, server_at_now, text_of

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    async with Client(server_at_now(settings)) as c:
        yield c


async def refusal(client: Client, tool: str, **args: Any) -> str:
    result = await client.call_tool(tool, args)
    assert result.is_error
    return text_of(result).removeprefix(f"Error executing tool {tool}: ")


async def test_a_mistyped_agent_name_gets_did_you_mean_from_the_accounts_real_agents(client: Client) -> None:
    said = await refusal(client, "get_agent_metrics", account="astro-team", name="support-bott")
    assert said == (
        "Account 'astro-team' has no agent 'support-bott' (the API said: agent not found). Did you mean "
        "'support-bot'? Its agents: batch-agent, billing-agent, broken-backend, checkout-agent, new-agent, "
        "quiet-agent, support-bot, weather-agent."
    )
    traces = await refusal(client, "get_agent_traces", account="astro-team", name="wether-agent")
    assert "Did you mean 'weather-agent'?" in traces


async def test_a_mistyped_account_gets_did_you_mean_from_the_logins_accounts(client: Client) -> None:
    said = await refusal(client, "get_agent_metrics", account="astro-teem", name="support-bot")
    assert said == (
        "Astro knows no account 'astro-teem' for this login (the API said: account not found). Did you mean "
        "'astro-team'? This login's accounts: astro-team, data-team, ada-lovelace, large-org, zoo."
    )
    assert "Did you mean 'astro-team'?" in await refusal(client, "get_account_overview", account="astro-teem")


async def test_several_near_names_are_offered_nearest_first(client: Client) -> None:
    said = await refusal(client, "get_agent_metrics", account="large-org", name="agent-0001")
    assert "Did you mean 'agent-001', 'agent-000' or 'agent-401'?" in said
    assert said.endswith("agent-018, agent-019 and 480 more.")  # the list is bounded


async def test_an_agent_registered_but_not_deployed_says_exactly_that(client: Client) -> None:
    said = await refusal(client, "get_agent_metrics", account="data-team", name="sql-helper")
    assert said == (
        "Agent 'sql-helper' is registered in account 'data-team' but not deployed (the API said: agent not "
        "found), so Astro has no metrics or traces for it. Deploy it first; list_agents shows which agents are "
        "deployed."
    )
    listed = text_of(await client.call_tool("list_agents", {"account": "data-team"}))
    assert "registered, not deployed: sql-helper" in listed  # what list_agents showed, said the same way


async def test_a_name_nobody_is_near_lists_the_real_ones_without_guessing(client: Client) -> None:
    said = await refusal(client, "get_agent_metrics", account="astro-team", name="zzz")
    assert "Did you mean" not in said
    assert said.startswith("Account 'astro-team' has no agent 'zzz' (the API said: agent not found). Its agents: ")


@pytest.mark.waits(4)
async def test_the_suggestion_never_holds_the_call_longer_than_a_completion_waits(
    settings: Settings, simulator: Simulator
) -> None:
    """Every answer takes 2.2 s here: the 404 comes after one, and the names would take another; the call
    gives up on them after 2 s and says what it knows. (A first call, at full speed, learns which routes the
    server has, so that the timed call makes no discovery request.)"""
    async with Client(server_at_now(settings)) as client:
        await client.call_tool("get_agent_metrics", {"account": "astro-team", "name": "support-bot", "compare": "none"})
        simulator.latency_ms = 2200
        started = anyio.current_time()
        said = await refusal(client, "get_agent_metrics", account="astro-team", name="support-bott", compare="none")
        took = anyio.current_time() - started
    assert said.startswith("Astro knows no such account or agent (the API said: agent not found).")
    assert took < 2.2 + 2.0 + 1.0


@pytest.mark.parametrize(
    ("tool", "args", "says"),
    [
        (
            "get_agent_traces",
            {"status": "errors"},
            "status=\"errors\" is not one of the accepted values: 'error', 'ok', 'all'. The nearest is 'error'.",
        ),
        (
            "get_agent_metrics",
            {"compare": "weekly"},
            "compare=\"weekly\" is not one of the accepted values: 'previous', 'week', 'none'. The nearest is 'week'.",
        ),
        (
            "get_agent_traces",
            {"limit": 100},
            "limit=100 is out of range: send a whole number from 1 to 50. The nearest accepted is 50.",
        ),
        (
            "get_agent_traces",
            {"offset": -5},
            "offset=-5 is out of range: send a whole number from 0 to 1000000. The nearest accepted is 0.",
        ),
        (
            "get_agent_traces",
            {"status": "bogus"},
            "status=\"bogus\" is not one of the accepted values: 'error', 'ok', 'all'. Which traces:",
        ),
    ],
)
async def test_a_value_refused_names_the_accepted_values_and_the_nearest(
    client: Client, tool: str, args: dict[str, Any], says: str
) -> None:
    said = await refusal(client, tool, account="astro-team", name="support-bot", **args)
    assert said.startswith(says)
    assert "send a string" not in said


def row(reason: str) -> AgentRow:
    return AgentRow(name="support-bot", status="incident", headline=reason, reason=reason, trace_count=10)


def test_overview_rows_are_cut_between_words() -> None:
    words = [f"word{i:03d}" for i in range(60)]  # every word 7 characters: a cut inside one leaves fewer
    window = OverviewWindow(start=NOW - timedelta(days=1), end=NOW)
    overview = AccountOverview.model_construct(
        account="astro-team",
        window=window,
        status="incident",
        headline="1 agent needs attention.",
        agents=[row(" ".join(words))],
        more_agents=0,
        notes=[],
    )
    (line,) = [x for x in rendering.render(overview).splitlines() if "support-bot" in x]
    assert len(line) <= ROW_CHARS
    assert line.endswith("…")
    last = line.removesuffix("…").split()[-1]
    assert re.fullmatch(r"word\d{3}", last), line


async def test_the_real_overview_cuts_its_rows_between_words(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    result = await client.call_tool("get_account_overview", {"account": "astro-team"})
    cut = [line.removesuffix("…") for line in text_of(result).splitlines() if line.endswith("…")]
    assert cut
    monkeypatch.setattr(rendering, "ROW_CHARS", 10_000)  # the same rows, whole
    whole = rendering.render(AccountOverview.model_validate(result.structured_content)).splitlines()
    for kept in cut:
        (full,) = [line for line in whole if line.startswith(kept)]
        assert full[len(kept)] in " ,;:|", f"{kept!r} cuts a word of {full!r}"
