"""The most recent data beside a window: as few requests as is exact, and the same verdict as asking for it whole."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx2
import pytest

from astro_mcp.analysis.rollup import added_up
from astro_mcp.api.tls import tls_context
from astro_mcp.api.wire import MetricsResponse
from astro_mcp.config import Settings
from astro_mcp.domain import AgentRef, Bucket, MetricsQuery, rfc3339
from astro_mcp.service import Service
from astro_mcp.service.recent import fine_query, settled_week
from astro_mcp.sim.app import DEMO_TOKEN, Simulator
from tests.support import NOW, http_client

pytestmark = pytest.mark.anyio
AGENT = AgentRef("zoo", "flapping-agent")


async def answer(api_url: str, agent: AgentRef, start: datetime, end: datetime, minutes: int) -> list[Bucket]:
    params = {"start_time": rfc3339(start), "end_time": rfc3339(end), "interval": str(minutes)}
    async with http_client(base_url=api_url, headers={"Authorization": f"Bearer {DEMO_TOKEN}"}) as http:
        got = await http.get(f"/agents/{agent.account}/{agent.name}/observability/metrics", params=params)
    return MetricsResponse.model_validate_json(got.content).buckets


def figures(buckets: list[Bucket]) -> list[tuple[str, int, int, int, int, float]]:
    """Every figure of every bucket; the mean latency to the 0.1 ms the API rounds it to."""
    return [
        (
            rfc3339(b["timestamp"]),
            b["trace_count"],
            b["error_count"],
            b["input_tokens"],
            b["output_tokens"],
            round(b["avg_latency_ms"], 1),
        )
        for b in buckets
    ]


async def test_five_minute_buckets_added_up_are_the_hour_buckets_the_api_sends(api_url: str) -> None:
    start, end = datetime.fromisoformat("2026-11-24T07:23:00Z"), datetime.fromisoformat("2026-11-25T09:37:00Z")
    fine = await answer(api_url, AGENT, start, end, 5)
    hourly = await answer(api_url, AGENT, start, end, 60)
    mine = added_up(fine, 60)
    assert len(hourly) > 20
    assert [f[:5] for f in figures(mine)] == [f[:5] for f in figures(hourly)]  # the first hour only from 07:23
    for a, b in zip(figures(mine), figures(hourly), strict=True):
        assert abs(a[5] - b[5]) <= 0.1


def test_the_week_ends_on_the_hour_and_the_six_hours_on_five_minutes() -> None:
    query = MetricsQuery(AGENT, NOW.replace(second=0) - timedelta(days=1), NOW.replace(second=0), 60, live=True)
    week, fine = settled_week(query), fine_query(query)
    assert (rfc3339(week.start), rfc3339(week.end), week.interval_minutes, week.live) == (
        "2026-11-18T00:00:00Z",
        "2026-11-25T09:00:00Z",
        60,
        False,  # it ended 52 minutes ago: settled
    )
    assert (rfc3339(fine.start), rfc3339(fine.end), fine.interval_minutes) == (
        "2026-11-25T03:50:00Z",
        "2026-11-25T09:52:00Z",
        5,
    )
    just_past = MetricsQuery(AGENT, query.start, NOW.replace(minute=3, second=0), 60, live=True)
    assert settled_week(just_past).live  # its last minutes may still be arriving: kept only briefly


async def test_calls_of_the_same_hour_share_one_request_for_the_agent_week(
    settings: Settings, simulator: Simulator
) -> None:
    service = Service(settings, lambda: NOW)
    for end in ("2026-11-25T08:10Z", "2026-11-25T08:40Z"):
        for start in ("2026-11-24T08:00Z", "2026-11-25T07:00Z"):
            await service.metrics.summary(service.read.metrics("zoo", "flapping-agent", start, end, None))
    await service.aclose()
    weeks = [r for r in simulator.requests_to("metrics") if r.query["start_time"] == "2026-11-18T00:00:00Z"]
    assert [(r.query["end_time"], r.query["interval"]) for r in weeks] == [("2026-11-25T08:00:00Z", "60")]


class FailingSixHours(httpx2.AsyncBaseTransport):
    """The API, but the request for the agent's last six hours fails."""

    def __init__(self) -> None:
        self._real = httpx2.AsyncHTTPTransport(verify=tls_context())

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.params.get("start_time") == "2026-11-25T03:50:00Z":
            return httpx2.Response(502, json={"error": "failed to query observability backend"})
        return await self._real.handle_async_request(request)


async def test_without_the_six_hours_the_week_gets_its_last_minutes_apart_and_says_the_same_now(
    settings: Settings, simulator: Simulator
) -> None:
    quick = settings.model_copy(update={"max_attempts": 1})
    both, without = Service(quick, lambda: NOW), Service(quick, lambda: NOW, transport=FailingSixHours())
    read = ("zoo", "silent-after-errors", "now-1h", None, None)  # an hour does not hold the last six
    whole = await both.metrics.summary(both.read.metrics(*read))
    simulator.requests.clear()
    alone = await without.metrics.summary(without.read.metrics(*read))
    for service in (both, without):
        await service.aclose()
    asked = {
        (r.query["start_time"], r.query["end_time"], r.query["interval"]) for r in simulator.requests_to("metrics")
    }
    assert ("2026-11-25T09:00:00Z", "2026-11-25T09:52:00Z", "60") in asked  # the week's last minutes
    assert any("most recent 6 hours could not be read" in note for note in alone.notes)
    assert (alone.status, alone.headline) == (whole.status, whole.headline)


async def test_a_day_at_5_minutes_gives_the_day_by_the_hour_and_the_last_six_hours_in_one_request(
    settings: Settings, simulator: Simulator
) -> None:
    service = Service(settings, lambda: NOW)
    day = await service.metrics.summary(service.read.metrics("zoo", "flapping-agent", "now-24h", None, None))
    await service.aclose()
    asked = sorted(
        (r.query["start_time"], r.query["end_time"], r.query["interval"]) for r in simulator.requests_to("metrics")
    )
    assert asked == [
        ("2026-11-18T00:00:00Z", "2026-11-25T09:00:00Z", "60"),  # the week, up to the hour
        ("2026-11-23T09:52:00Z", "2026-11-24T09:52:00Z", "60"),  # the previous day
        ("2026-11-24T09:52:00Z", "2026-11-25T09:52:00Z", "5"),  # the day, which holds the last six hours
    ]
    assert (day.window.interval_minutes, len(day.table.rows)) == (60, 25)
    assert not any("buckets although" in note for note in day.notes)
