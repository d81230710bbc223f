"""What the client's operator is told through MCP log notifications: retries and upstream failures, never a token."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from mcp.types import LoggingMessageNotificationParams

from astro_mcp.config import Settings
from astro_mcp.sim.app import DEMO_TOKEN, Scripted, Simulator
from tests.support import server_at_now

pytestmark = [pytest.mark.anyio, pytest.mark.filterwarnings("ignore::mcp.MCPDeprecationWarning")]

AGENT = {"account": "astro-team", "name": "weather-agent"}
FAILED = Scripted(502, b'{"error": "failed to query observability backend"}')


async def test_a_retry_reaches_the_operator_as_a_warning_and_the_level_they_set_is_honoured(
    settings: Settings, simulator: Simulator
) -> None:
    seen: list[LoggingMessageNotificationParams] = []

    async def on_log(params: LoggingMessageNotificationParams) -> None:
        seen.append(params)

    async with Client(server_at_now(settings), mode="legacy", logging_callback=on_log) as client:
        assert client.server_capabilities is not None
        assert client.server_capabilities.logging is not None
        simulator.script("astro-team", "weather-agent", FAILED)
        assert not (await client.call_tool("get_agent_metrics", AGENT)).is_error
        warned = [p for p in seen if p.level == "warning"]
        assert warned
        assert "retrying" in str(warned[0].data)
        assert warned[0].logger is not None
        assert warned[0].logger.startswith("astro_mcp")

        seen.clear()
        await client.set_logging_level("error")
        simulator.script("astro-team", "weather-agent", FAILED)
        assert not (await client.call_tool("get_agent_metrics", {**AGENT, "start_time": "now-6h"})).is_error
        assert [p for p in seen if p.level == "warning"] == []
    every: list[Any] = [p.data for p in seen]
    assert all(DEMO_TOKEN not in str(d) for d in every)
