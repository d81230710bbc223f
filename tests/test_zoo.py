"""Golden answers for the simulator's zoo: each situation named the same way in the 1-hour, 24-hour and 7-day views."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client

from astro_mcp import formats as fmt
from astro_mcp.config import Settings
from astro_mcp.server import create_server
from tests.support import NOW, text_of

WINDOWS = ("now-1h", "now-24h", "now-7d")


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    async with Client(create_server(settings, clock=lambda: NOW)) as c:
        yield c


async def answers(client: Client, name: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for start in WINDOWS:
        result = await client.call_tool("get_agent_metrics", {"account": "zoo", "name": name, "start_time": start})
        assert not result.is_error, text_of(result)
        assert result.structured_content is not None
        found.append((text_of(result), result.structured_content))
    return found


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("name", "status", "kind", "state", "onset", "says"),
    [
        (
            "silent-after-errors",
            "outage",
            "silence",
            "ongoing",
            "2026-11-25T06:00:00Z",
            ["Outage: no traces since Nov 25 06:00 UTC", "normally about 16", "an hour at these hours"],
        ),
        (
            "flapping-agent",
            "incident",
            "flapping",
            "recurring",
            "2026-11-25T03:00:00Z",
            ["Error flapping since Nov 25 03:00 UTC", "recurring: bad stretches about every 40 minutes"],
        ),
        (
            "creeping-latency",
            "incident",
            "drift",
            "ongoing",
            "2026-11-23T09:00:00Z",
            ["Latency drift, ongoing since Nov 23 09:00 UTC", "rising about 3.0% an hour"],
        ),
        (
            "recovered-agent",
            "recovered",
            "recovered",
            "over",
            "2026-11-19T21:00:00Z",
            ["Recovered: error rate", "for 5 days, Nov 19 21:00 – Nov 24 21:00 UTC", "normal for the 12 hours"],
        ),
        (
            "token-jump",
            "degraded",
            "regression",
            "ongoing",
            "2026-11-25T00:00:00Z",
            ["Tokens per trace regression, ongoing since Nov 25 00:00 UTC", "(5.9x)"],
        ),
        (
            "latency-spike",
            "recovered",
            "spike",
            "over",
            "2026-11-25T04:00:00Z",
            ["Latency spike Nov 25 04:00–05:00 UTC", "Over at 05:00; normal since then"],
        ),
        (
            "error-step",
            "incident",
            "regression",
            "ongoing",
            "2026-11-25T05:00:00Z",
            ["Error regression, ongoing since Nov 25 05:00 UTC"],
        ),
    ],
)
async def test_every_zoo_agent_is_named_the_same_in_every_window(
    client: Client, name: str, status: str, kind: str, state: str, onset: str, says: list[str]
) -> None:
    """Same status now in the 1-hour, 24-hour and 7-day views; the right kind, state and onset; the wording."""
    for text, s in await answers(client, name):
        assert s["status"] == status, text[:400]
        assert f"Status: {status}. {s['headline']}" in text
        for words in says:
            assert words in s["headline"], s["headline"]
        first = next(i for i in s["incidents"] if (i["kind"], i["state"]) == (kind, state)) if s["incidents"] else None
        if first is not None:  # a 1-hour window shows what lies in it; the headline names what sets the status
            assert first["start"] == onset
            assert first["evidence"]
        usual = (s["now"] or {}).get("usual_traces")
        if usual is not None:  # the "now" line's usual traffic and the baseline's are one figure
            assert s["baseline"]["traces_per_hour"] == usual
            assert f"usually about {usual:,.0f} at these hours" in text
            assert f"traffic in the last hour {fmt.num(usual)} traces" in text


@pytest.mark.anyio
@pytest.mark.parametrize("name", ["quiet-healthy", "seasonal-healthy", "brand-new"])
async def test_healthy_zoo_agents_are_healthy_in_every_window_whatever_their_noise(client: Client, name: str) -> None:
    for text, s in await answers(client, name):
        assert s["status"] == "healthy", text[:400]
        assert s["incidents"] == []
        assert "⚠" not in text.splitlines()[1]


@pytest.mark.anyio
async def test_tiny_traffic_is_told_with_its_caveat_and_a_new_agent_says_there_is_no_baseline(client: Client) -> None:
    (quiet, _), *_ = await answers(client, "quiet-healthy")
    assert "in this window: a rough picture" in quiet.splitlines()[1]
    for text, s in await answers(client, "brand-new"):
        assert "Its data begins Nov 25 04:00 UTC: no baseline yet" in s["headline"]
        assert s["baseline"]["new_agent"] is True
        assert s["baseline"]["traces_per_hour"] is None  # none is usual yet: not "typically 0 traces"
        assert "traffic in the last hour" not in text


@pytest.mark.anyio
async def test_a_comparison_with_an_abnormal_window_gives_the_normal_level(client: Client) -> None:
    (_, one_day) = (await answers(client, "recovered-agent"))[1]
    assert one_day["comparison"]["abnormal"].startswith(
        "the previous day was itself abnormal: error rate 12.5% from Nov 19"
    )
    assert "the agent's normal level" in one_day["comparison"]["abnormal"]


@pytest.mark.anyio
async def test_a_latency_incidents_traces_call_returns_the_slowest_traces(client: Client) -> None:
    (_, s) = (await answers(client, "latency-spike"))[1]
    (incident,) = s["incidents"]
    call = incident["traces_call"]
    assert (call["status"], call["order"]) == ("all", "slowest")
    result = await client.call_tool("get_agent_traces", call)
    assert result.structured_content is not None
    shown = [t["latency_ms"] for t in result.structured_content["traces"]]
    assert shown == sorted(shown, reverse=True)
    assert min(shown) > 2 * s["baseline"]["avg_latency_ms"]  # the slow ones, not the newest


@pytest.mark.anyio
async def test_an_error_incidents_traces_call_samples_its_whole_window_and_groups_by_error(client: Client) -> None:
    (_, s) = (await answers(client, "error-step"))[1]
    call = s["incidents"][0]["traces_call"]
    assert (call["status"], call["order"]) == ("error", "spread")
    result = await client.call_tool("get_agent_traces", call | {"limit": 20})
    assert result.structured_content is not None
    hours = {t["timestamp"][:13] for t in result.structured_content["traces"]}
    assert len(hours) >= 3  # from across the incident's hours, not only its newest minutes
    assert result.structured_content["errors"]
    assert "By error, of" in text_of(result)
