"""The simulator over real HTTP: the contract, the real server's quirks, and consistent data."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from astro_mcp.sim.app import DEMO_TOKEN, Simulator
from astro_mcp.sim.serve import serve_simulator
from tests.support import ANCHOR, NOW, http_client

pytestmark = pytest.mark.anyio

PATH = "/agents/astro-team/{}/observability/metrics"
DAY = {"start_time": "2026-11-24T09:52:00Z", "end_time": "2026-11-25T09:52:00Z"}


@pytest.fixture
async def http(api_url: str) -> AsyncIterator[httpx2.AsyncClient]:
    async with http_client(base_url=api_url, headers={"Authorization": f"Bearer {DEMO_TOKEN}"}) as c:
        yield c


async def fetch(http: httpx2.AsyncClient, agent: str, **params: Any) -> dict[str, Any]:
    response = await http.get(PATH.format(agent), params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def totals(body: dict[str, Any]) -> list[int]:
    keys = ("trace_count", "error_count", "input_tokens", "output_tokens")
    return [sum(b[k] for b in body["buckets"]) for k in keys]


async def test_the_same_window_has_the_same_totals_at_every_interval(http: httpx2.AsyncClient) -> None:
    per_interval = [totals(await fetch(http, "support-bot", **DAY, interval=i)) for i in (1, 7, 60, 1440)]
    assert per_interval[0][0] > 1000
    assert all(t == per_interval[0] for t in per_interval)


async def test_buckets_with_no_traces_are_left_out(http: httpx2.AsyncClient) -> None:
    body = await fetch(http, "batch-agent", **DAY, interval=60)
    hours = [b["timestamp"][11:16] for b in body["buckets"]]
    assert hours == ["12:00", "16:00", "20:00", "00:00", "04:00", "08:00"]  # 30 minutes every 4 hours
    assert all(b["trace_count"] > 0 for b in body["buckets"])


@pytest.mark.parametrize("interval", ["0", "-5", "abc", ""])
async def test_an_interval_that_is_not_a_positive_number_silently_becomes_60(
    http: httpx2.AsyncClient, interval: str
) -> None:
    body = await fetch(http, "weather-agent", **DAY, interval=interval)
    assert body["interval_minutes"] == 60
    assert body["buckets"][1]["timestamp"] == "2026-11-24T10:00:00Z"


async def test_time_range_echoes_the_query_strings_and_missing_times_give_no_data(http: httpx2.AsyncClient) -> None:
    body = await fetch(http, "weather-agent", start_time="2026-11-24T09:52:00+00:00", end_time=DAY["end_time"])
    assert body["time_range"] == {"start": "2026-11-24T09:52:00+00:00", "end": DAY["end_time"]}
    assert await fetch(http, "weather-agent") == {
        "buckets": [],
        "time_range": {"start": "", "end": ""},
        "interval_minutes": 60,
    }


async def test_an_agent_without_traces_answers_empty_with_60_minutes_whatever_was_asked(
    http: httpx2.AsyncClient,
) -> None:
    body = await fetch(http, "new-agent", **DAY, interval=15)
    assert body["buckets"] == []
    assert body["interval_minutes"] == 60


async def test_there_is_no_data_from_the_future(http: httpx2.AsyncClient) -> None:
    body = await fetch(http, "weather-agent", start_time="2026-11-25T09:00:00Z", end_time="2026-11-25T12:00:00Z")
    assert [b["timestamp"] for b in body["buckets"]] == ["2026-11-25T09:00:00Z"]
    per_minute = await fetch(
        http, "weather-agent", start_time="2026-11-25T09:00:00Z", end_time="2026-11-25T12:00:00Z", interval=1
    )
    assert per_minute["buckets"][-1]["timestamp"] <= "2026-11-25T09:51:00Z"


async def test_the_error_spike_of_the_demo_agent_sits_six_hours_before_the_anchor(http: httpx2.AsyncClient) -> None:
    body = await fetch(http, "support-bot", **DAY, interval=60)
    worst = max(body["buckets"], key=lambda b: b["error_count"] / b["trace_count"])
    assert worst["timestamp"] == "2026-11-25T03:00:00Z"
    assert ANCHOR.hour - 6 == 3
    assert worst["error_count"] / worst["trace_count"] > 0.15


async def test_data_is_deterministic_for_an_agent_and_window(http: httpx2.AsyncClient) -> None:
    first = await fetch(http, "checkout-agent", **DAY, interval=5)
    async with (
        serve_simulator(Simulator(anchor=ANCHOR, clock=lambda: NOW)) as other_url,
        http_client(headers={"Authorization": f"Bearer {DEMO_TOKEN}"}) as other,
    ):
        second = (await other.get(other_url + PATH.format("checkout-agent"), params={**DAY, "interval": 5})).json()
    assert first == second


async def test_a_missing_or_wrong_token_gets_the_middleware_401(api_url: str) -> None:
    async with http_client(base_url=api_url) as anonymous:
        for headers in ({}, {"Authorization": "Bearer nope"}):
            response = await anonymous.get(PATH.format("weather-agent"), params=DAY, headers=headers)
            assert response.status_code == 401
            assert response.json() == {"error": "unauthorized", "error_description": "Authentication required"}
