"""Arguments as models actually send them: accepted when their meaning is clear, else refused with the exact fix."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client

from astro_mcp.config import Settings
from tests.support import server_at_now, text_of

pytestmark = pytest.mark.anyio

AGENT = {"account": "astro-team", "name": "support-bot"}


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    async with Client(server_at_now(settings)) as c:
        yield c


async def window_of(client: Client, **args: Any) -> dict[str, Any]:
    result = await client.call_tool("get_agent_metrics", {**AGENT, **args})
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    window: dict[str, Any] = result.structured_content["window"]
    return window


@pytest.mark.parametrize(
    ("args", "start", "end"),
    [
        ({"start_time": "-24h"}, "2026-11-24T09:52:00Z", "2026-11-25T09:52:00Z"),
        ({"start_time": "2 hours ago"}, "2026-11-25T07:52:00Z", "2026-11-25T09:52:00Z"),
        ({"start_time": "7 days ago"}, "2026-11-18T09:52:00Z", "2026-11-25T09:52:00Z"),
        ({"start_time": "today"}, "2026-11-25T00:00:00Z", "2026-11-25T09:52:00Z"),
        ({"start_time": "yesterday", "end_time": "today"}, "2026-11-24T00:00:00Z", "2026-11-25T00:00:00Z"),
        ({"start_time": "P1D"}, "2026-11-24T09:52:00Z", "2026-11-25T09:52:00Z"),
        ({"start_time": "PT1H"}, "2026-11-25T08:52:00Z", "2026-11-25T09:52:00Z"),
        ({"start_time": 1764000000, "end_time": "1764036000"}, "2025-11-24T16:00:00Z", "2025-11-25T02:00:00Z"),
        ({"start_time": 1764000000.0, "end_time": 1764036000}, "2025-11-24T16:00:00Z", "2025-11-25T02:00:00Z"),
    ],
)
async def test_time_forms_models_send_are_understood(
    client: Client, args: dict[str, Any], start: str, end: str
) -> None:
    window = await window_of(client, **args)
    assert (window["start"], window["end"]) == (start, end)


@pytest.mark.parametrize(("interval", "minutes"), [("hourly", 60), ("daily", 1440), ("Hourly ", 60), ("15m", 15)])
async def test_interval_words_are_understood(client: Client, interval: str, minutes: int) -> None:
    window = await window_of(client, start_time="now-7d", interval=interval)
    assert window["interval_minutes"] == minutes


async def test_slugs_are_trimmed(client: Client) -> None:
    result = await client.call_tool("get_agent_metrics", {"account": " astro-team ", "name": "support-bot\n"})
    assert not result.is_error
    assert result.structured_content is not None
    assert (result.structured_content["account"], result.structured_content["name"]) == ("astro-team", "support-bot")


async def test_an_end_time_in_the_future_on_its_own_is_clamped_with_a_note(client: Client) -> None:
    result = await client.call_tool("get_agent_metrics", {**AGENT, "end_time": "2030-01-01T00:00:00Z"})
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    assert result.structured_content["window"]["end"] == "2026-11-25T09:52:00Z"
    assert "end_time 2030-01-01T00:00:00Z is in the future; the window ends now" in text_of(result)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ({"account": "astro-team"}, "name is missing: it is required. The agent's name within the account"),
        ({"name": "support-bot"}, "account is missing: it is required."),
        ({**AGENT, "interval": True}, "interval=true is not accepted: send a string."),
        ({**AGENT, "name": ["support-bot"]}, 'name=["support-bot"] is not accepted: send a string.'),
        ({**AGENT, "start_time": {"h": 1}}, 'start_time={"h": 1} is not accepted: send a string.'),
        (
            {"account": "astro-team", "name": "astro-team/support-bot"},
            "split it, account='astro-team', name='support-bot'",
        ),
        ({**AGENT, "end_time": "9999-12-31T23:59:59-23:59"}, "lies outside the calendar; use a recent time"),
        ({**AGENT, "interval": 10**400}, "is far too large. Example: interval=60"),
        ({**AGENT, "start_time": "3 fortnights ago"}, "unknown unit 'fortnights'"),
        ({**AGENT, "end_time": "P1D"}, "is a duration, which only start_time takes"),
    ],
)
async def test_refusals_name_the_argument_what_was_sent_and_the_fix(
    client: Client, simulator: Any, args: dict[str, Any], says: str
) -> None:
    result = await client.call_tool("get_agent_metrics", args)
    assert result.is_error
    text = text_of(result)
    assert says in text
    assert "validation error" not in text
    assert "pydantic" not in text
    assert simulator.requests == []
