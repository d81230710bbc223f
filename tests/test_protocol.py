"""Protocol errors by the book and one set of capabilities, in both protocol eras (2025-11-25 and 2026-07-28)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from mcp import Client, MCPError
from mcp.types import INVALID_PARAMS, METHOD_NOT_FOUND

from astro_mcp.config import Settings
from tests.support import server_at_now

pytestmark = pytest.mark.anyio

TOOLS = "list_agents, get_account_overview, get_agent_metrics, get_agent_traces"


@pytest.fixture(params=["auto", "legacy"])
async def client(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Client]:
    async with Client(server_at_now(settings), mode=request.param) as c:
        yield c


async def refusal(call: object) -> MCPError:
    with pytest.raises(MCPError) as caught:
        await call  # type: ignore[misc]
    return caught.value


async def test_an_unknown_tool_is_invalid_params_naming_the_tools(client: Client) -> None:
    err = await refusal(client.call_tool("get_metrics", {"account": "astro-team"}))
    assert err.error.code == INVALID_PARAMS
    assert err.error.message == f"Unknown tool 'get_metrics'. This server has: {TOOLS}."


async def test_an_unknown_prompt_is_invalid_params_naming_the_prompts(client: Client) -> None:
    err = await refusal(client.get_prompt("investigate", {}))
    assert err.error.code == INVALID_PARAMS
    assert err.error.message == "Unknown prompt 'investigate'. This server has: investigate_agent."


@pytest.mark.parametrize("uri", ["astro://nothing", "file:///etc/passwd", "astro://agents/astro-team"])
async def test_an_unknown_resource_is_invalid_params_naming_what_can_be_read(client: Client, uri: str) -> None:
    err = await refusal(client.read_resource(uri))
    assert err.error.code == INVALID_PARAMS
    assert err.error.message.startswith(f"Unknown resource {uri!r}. This server has: ui://astro/metrics.html, ")
    assert "astro://agents/{account}/{name}/metrics{?start_time,end_time,interval}" in err.error.message


@pytest.mark.parametrize(
    ("uri", "advice"),
    [
        ("astro://agents/astro-team/nobody/metrics", "Astro knows no such account or agent"),
        ("astro://agents/Astro%20Team/support-bot/metrics", "is not a valid Astro account slug"),
        ("astro://agents/astro-team/support-bot/metrics?start_time=soon", "is not a time I can read"),
        ("astro://agents/astro-team/support-bot/metrics/raw?interval=often", "interval"),
    ],
)
async def test_reading_an_agent_that_does_not_exist_or_with_bad_arguments_is_invalid_params(
    client: Client, uri: str, advice: str
) -> None:
    err = await refusal(client.read_resource(uri))
    assert err.error.code == INVALID_PARAMS, err.error
    assert advice in err.error.message


async def test_a_prompt_without_its_arguments_is_invalid_params_that_says_what_is_missing(client: Client) -> None:
    err = await refusal(client.get_prompt("investigate_agent", {"account": "astro-team"}))
    assert err.error.code == INVALID_PARAMS
    assert err.error.message.startswith("investigate_agent needs name: for example account='astro-team'")


async def test_a_clients_mistakes_leave_no_traceback_in_the_log(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        for call in (
            client.call_tool("nope", {}),
            client.get_prompt("nope", {}),
            client.read_resource("astro://nope"),
            client.read_resource("astro://agents/astro-team/nobody/metrics"),
        ):
            await refusal(call)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info] == []


async def test_bad_tool_arguments_stay_a_result_the_model_reads(client: Client) -> None:
    result = await client.call_tool("get_agent_metrics", {"account": "astro-team", "name": 7})
    assert result.is_error
    assert "name=7 is not accepted" in result.content[0].text  # type: ignore[union-attr]


async def test_both_eras_advertise_the_same_capabilities_and_only_what_is_served(settings: Settings) -> None:
    seen = {}
    for mode in ("auto", "legacy"):
        async with Client(server_at_now(settings), mode=mode) as c:
            assert c.server_capabilities is not None
            seen[c.protocol_version] = c.server_capabilities.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert set(seen) == {"2025-11-25", "2026-07-28"}
    assert (
        seen["2025-11-25"]
        == seen["2026-07-28"]
        == {
            "completions": {},
            "logging": {},
            "prompts": {"listChanged": False},
            "resources": {"listChanged": False, "subscribe": False},
            "tools": {"listChanged": False},
            "extensions": {"io.modelcontextprotocol/ui": {}},
        }
    )


async def test_there_is_nothing_to_listen_for_on_2026(settings: Settings) -> None:
    async with Client(server_at_now(settings)) as client:
        assert client.protocol_version == "2026-07-28"
        with pytest.raises(MCPError) as caught:
            async with client.listen(tools_list_changed=True):
                pass
    assert caught.value.error.code == METHOD_NOT_FOUND
