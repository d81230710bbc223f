"""Progress notifications for the client that asks for them: what a long call is doing, from its start."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import pytest
from mcp import Client

from astro_mcp.api.store import Store
from astro_mcp.config import Settings
from astro_mcp.sim.app import Simulator
from tests.support import CI_ONLY, UNHURRIED, server_at_now, text_of
from tests.test_reliability import error
from tests.test_signin import sign_in

pytestmark = pytest.mark.anyio

AGENT = {"account": "astro-team", "name": "weather-agent"}


@dataclass
class Heard:
    """The progress notifications of one call, in order."""

    steps: list[tuple[float, float | None, str]] = field(default_factory=list)

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.steps.append((progress, total, message or ""))

    @property
    def messages(self) -> list[str]:
        return [message for _, _, message in self.steps]

    def increasing(self) -> bool:
        values = [progress for progress, _, _ in self.steps]
        return all(a < b for a, b in itertools.pairwise(values))


def said_each_agent_read(heard: Heard, account: str, agents: int, at_a_time: int = 8) -> None:
    """An overview's progress: what it reads first, then each agent read, n of n, from the first one."""
    assert heard.messages[:3] == [
        "reading the user's accounts",
        f"reading the deployments of {account}",
        f"reading the metrics of {agents} agents, {at_a_time} at a time",
    ]
    counted = [(p, t) for p, t, m in heard.steps if "agents read" in m]
    assert len(counted) == agents
    assert counted[-1] == (agents, agents)
    assert heard.increasing()
    assert any(m.startswith(f"1 of {agents} agents read (") for m in heard.messages)


@pytest.mark.parametrize(
    ("mode", "account", "agents"),
    # Each protocol every day on an account of its own size: the 500 agents of large-org over auto in
    # test_large_org, over legacy in CI.
    [("legacy", "zoo", 10), pytest.param("legacy", "large-org", 500, marks=CI_ONLY)],
)
async def test_an_overview_says_each_agent_read_n_of_n_from_its_first_request(
    settings: Settings, mode: str, account: str, agents: int
) -> None:
    heard = Heard()
    async with Client(server_at_now(settings, call_budget=UNHURRIED), mode=mode) as client:
        result = await client.call_tool("get_account_overview", {"account": account}, progress_callback=heard)
    assert not result.is_error, text_of(result)
    said_each_agent_read(heard, account, agents)


async def test_a_retry_and_its_wait_are_said(settings: Settings, simulator: Simulator) -> None:
    simulator.script("astro-team", "weather-agent", error(429, "slow down", **{"retry-after": "1"}))
    heard = Heard()
    async with Client(server_at_now(settings)) as client:
        result = await client.call_tool("get_agent_metrics", AGENT, progress_callback=heard)
    assert not result.is_error, text_of(result)
    (retry,) = [m for m in heard.messages if "retrying" in m]
    assert "attempt 1 failed" in retry
    assert retry.endswith("retrying in 1.0 s")  # the API's Retry-After


async def test_a_sign_in_refresh_is_said(settings: Settings, simulator: Simulator) -> None:
    creds = settings.credentials_file.parent / "ast" / "credentials.json"
    saved = settings.model_copy(update={"access_token": None, "credentials_file": creds})
    sign_in(simulator, Store(creds, None), expired=True)
    heard = Heard()
    async with Client(server_at_now(saved)) as client:
        result = await client.call_tool("get_agent_metrics", AGENT, progress_callback=heard)
    assert not result.is_error, text_of(result)
    assert "refreshing the Astro sign-in" in heard.messages


async def test_a_page_of_traces_fetched_is_said(settings: Settings) -> None:
    heard = Heard()
    async with Client(server_at_now(settings)) as client:
        result = await client.call_tool("get_agent_traces", {**AGENT, "offset": 10}, progress_callback=heard)
    assert not result.is_error, text_of(result)
    assert any(
        m.startswith("fetching traces 11–") and m.endswith("of astro-team/weather-agent") for m in heard.messages
    )
