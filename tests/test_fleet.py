"""The fleet tools through a real in-memory client, against the simulator over loopback HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from mcp import Client
from mcp.types import PromptReference, ResourceTemplateReference

from astro_mcp.analysis.compare import Reference, split_previous, with_previous
from astro_mcp.analysis.overview import row_of
from astro_mcp.analysis.summarize import summarize
from astro_mcp.api.wire import MetricsResponse
from astro_mcp.config import Settings
from astro_mcp.domain import AgentRef, Bucket, MetricsQuery, rfc3339
from astro_mcp.server.resources import TEMPLATE
from astro_mcp.sim.app import DEMO_TOKEN, Scripted, Simulator
from tests.support import NOW, http_client, server_at_now, text_of
from tests.test_progress import Heard

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    async with Client(server_at_now(settings)) as c:
        yield c


async def overview(client: Client, **arguments: Any) -> tuple[str, dict[str, Any]]:
    result = await client.call_tool("get_account_overview", arguments)
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    return text_of(result), result.structured_content


def rows_by_name(structured: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in structured["agents"]}


async def test_the_tools_come_in_the_order_a_model_should_reach_for_them(client: Client) -> None:
    tools = (await client.list_tools()).tools
    assert [t.name for t in tools] == ["list_agents", "get_account_overview", "get_agent_metrics", "get_agent_traces"]
    assert all(t.output_schema is not None for t in tools)
    assert "start here" in (tools[1].description or "")


async def test_list_agents_gives_accounts_roles_and_which_agents_are_deployed(client: Client) -> None:
    result = await client.call_tool("list_agents", {})
    assert not result.is_error
    assert result.structured_content is not None
    s = result.structured_content
    assert (s["status"], list(s)[:2]) == ("ok", ["status", "headline"])
    assert s["headline"].startswith("5 accounts, ")
    accounts = {a["name"]: a for a in s["accounts"]}
    assert list(accounts) == ["astro-team", "data-team", "ada-lovelace", "large-org"]  # the first page
    assert (accounts["data-team"]["type"], accounts["data-team"]["role"]) == ("team", "member")
    agents = {a["name"]: a for a in accounts["data-team"]["agents"]}
    assert agents["sql-helper"]["deployed"] is False
    assert agents["report-agent"]["status"] == "Stopped"
    assert agents["etl-agent"]["deployment_id"] == "dep-data-team-etl-agent"
    assert 0 < len(accounts["large-org"]["agents"]) < 500
    text = text_of(result)
    assert "data-team (team, role member):" in text
    assert "registered, not deployed: sql-helper" in text
    assert f"and {s['more_agents']:,} more agents on the next pages: list_agents(cursor='{s['next_cursor']}')" in text


async def test_an_account_whose_deployments_cannot_be_read_says_why(client: Client) -> None:
    result = await client.call_tool("list_agents", {"account": "locked-org"})
    assert not result.is_error
    assert "deployments could not be read: access refused (HTTP 403" in text_of(result)


async def test_list_agents_refuses_an_account_that_is_not_a_slug_with_the_fix_before_any_request(
    client: Client, simulator: Simulator
) -> None:
    spaced = await client.call_tool("list_agents", {"account": "Astro Team"})
    huge = await client.call_tool("list_agents", {"account": "a" * 100_000})  # once too long for a URL: a crash
    assert spaced.is_error
    assert "is not a valid Astro account slug" in text_of(spaced)
    assert "Did you mean account='astro-team'?" in text_of(spaced)
    assert huge.is_error
    assert "is not a valid Astro account slug: use 1-64 characters" in text_of(huge)
    assert simulator.requests == []


async def test_an_overview_asked_again_within_its_ttl_is_cut_from_its_ranking_unless_a_row_failed(
    client: Client,
) -> None:
    said: dict[str, list[list[str]]] = {}
    for account in ("data-team", "astro-team"):  # astro-team's broken-backend fails: its row is asked again
        for _ in range(2):
            heard = Heard()
            result = await client.call_tool("get_account_overview", {"account": account}, progress_callback=heard)
            assert not result.is_error, text_of(result)
            said.setdefault(account, []).append([m for m in heard.messages if "agents read" in m])
    assert len(said["data-team"][0]) == 4
    assert said["data-team"][1] == []  # the same rows, ranked a moment ago: nothing read again
    assert len(said["astro-team"][0]) == len(said["astro-team"][1]) == 8


async def test_completions_offer_real_account_and_agent_names_from_the_api(client: Client) -> None:
    template = ResourceTemplateReference(type="ref/resource", uri=TEMPLATE)
    accounts = await client.complete(template, {"name": "account", "value": "d"})
    names = await client.complete(template, {"name": "name", "value": ""}, context_arguments={"account": "data-team"})
    prompt = await client.complete(
        PromptReference(type="ref/prompt", name="investigate_agent"),
        {"name": "name", "value": "check"},
        context_arguments={"account": "astro-team"},
    )
    assert accounts.completion.values == ["data-team"]
    assert names.completion.values == ["etl-agent", "report-agent", "sql-helper", "triage-agent"]
    assert prompt.completion.values == ["checkout-agent"]


async def test_the_overview_ranks_agents_worst_first_with_a_reason_each(client: Client) -> None:
    text, s = await overview(client, account="astro-team")
    statuses = [(row["name"], row["status"]) for row in s["agents"]]
    assert statuses == [
        ("checkout-agent", "incident"),  # an incident too, with the higher error rate
        ("billing-agent", "incident"),
        ("broken-backend", "failed"),
        ("new-agent", "no_traffic"),
        ("support-bot", "recovered"),  # recovered: after what needs attention, before the healthy
        ("batch-agent", "healthy"),  # healthy too, but with the higher error rate
        ("weather-agent", "healthy"),
        ("quiet-agent", "healthy"),
    ]
    rows = rows_by_name(s)
    assert rows["checkout-agent"]["reason"].startswith("Latency regression, ongoing since Nov 24 23:00 UTC")
    assert rows["support-bot"]["headline"].startswith("Error spike Nov 25 03:00–04:00 UTC")
    assert "normal since then" in rows["support-bot"]["headline"]
    assert rows["weather-agent"]["tokens_per_trace"] > 1000
    assert "HTTP 502" in rows["broken-backend"]["error"]
    assert rows["weather-agent"]["reason"] is None
    assert rows["weather-agent"]["trace_count"] > 1000
    assert len(rows["weather-agent"]["sparkline"]) == 25
    assert s["status"] == "incident"
    assert s["more_agents"] == 0
    assert s["headline"].startswith("4 of 8 deployed agents need attention")
    attention = text.split("Needs attention, worst first:\n")[1].split("The others:")[0]
    rows_said = [line for line in attention.splitlines() if not line.startswith("  Likely related: ")]
    assert [line.split()[1] for line in rows_said] == [
        "checkout-agent",
        "billing-agent",
        "broken-backend",
        "new-agent",
    ]


async def test_an_agent_that_times_out_is_a_row_not_a_failed_overview(settings: Settings, simulator: Simulator) -> None:
    simulator.script("astro-team", "weather-agent", Scripted(delay=30))
    # The budget is the whole call's: the hanging agent holds its place for an eighth of it (1 s at least).
    async with Client(server_at_now(settings, call_budget=3.0, max_attempts=1)) as client:
        _, s = await overview(client, account="astro-team")
    row = rows_by_name(s)["weather-agent"]
    assert row["status"] == "failed"
    assert row["error"].startswith("timed out")
    assert rows_by_name(s)["support-bot"]["status"] == "recovered"


async def test_stopped_pending_and_undeployed_agents_each_say_so(client: Client) -> None:
    _, s = await overview(client, account="data-team")
    rows = rows_by_name(s)
    assert rows["sql-helper"]["status"] == "not_deployed"
    assert rows["report-agent"]["status"] == "no_traffic"
    assert rows["report-agent"]["reason"] is None  # stopped on purpose: nothing to look into
    assert rows["triage-agent"]["reason"] == "deployed (Pending) but served no traces in the window"
    assert s["agents"][-1]["name"] == "sql-helper"


async def test_a_server_without_the_agent_route_is_read_per_deployment(
    settings: Settings, simulator: Simulator
) -> None:
    simulator.generation = "deployment"
    async with Client(server_at_now(settings)) as client:
        first = await client.call_tool(
            "get_agent_metrics", {"account": "astro-team", "name": "support-bot", "interval": "15m", "compare": "none"}
        )
        second = await client.call_tool(
            "get_agent_metrics", {"account": "astro-team", "name": "weather-agent", "compare": "none"}
        )
    assert not first.is_error, text_of(first)
    assert not second.is_error
    asked = [r.path.removeprefix("/api/v1") for r in simulator.requests]
    paths = [p for p in asked if p.endswith("/metrics") or p in ("/openapi.json", "/deployments")]  # not the context
    # The first call tries the per-agent route while it reads /openapi.json; from then on neither is asked for.
    listing = paths.index("/deployments")
    assert "/openapi.json" in paths[:listing]
    assert set(paths[:listing]) == {"/openapi.json", "/agents/astro-team/support-bot/observability/metrics"}
    # ...and the choice is remembered: every later request, the second call's included, is per deployment.
    assert set(paths[listing + 1 :]) == {
        "/deployments/dep-astro-team-support-bot/observability/metrics",
        "/deployments/dep-astro-team-weather-agent/observability/metrics",
    }
    (per_deployment, *_) = [r for r in simulator.requests if r.path.endswith("/observability/metrics")][1:]
    assert per_deployment.query["granularity"] == "hour"
    text = text_of(first)
    assert "Errors: not available" in text
    assert "per-deployment route" in text
    assert first.structured_content is not None
    assert first.structured_content["error_rate"] is None
    assert first.structured_content["errors_available"] is False
    assert first.structured_content["totals"]["trace_count"] > 1000


async def test_the_overview_works_against_either_server_generation(settings: Settings, simulator: Simulator) -> None:
    simulator.generation = "deployment"
    async with Client(server_at_now(settings)) as client:
        text, s = await overview(client, account="astro-team")
    rows = rows_by_name(s)
    assert rows["checkout-agent"]["status"] == "incident"  # latency is still there
    assert rows["weather-agent"]["error_rate"] is None
    assert "err n/a" in text
    assert any("no error counts" in note for note in s["notes"])


async def test_me_and_deployments_agree_with_the_metrics_the_simulator_serves(
    simulator: Simulator, api_url: str
) -> None:
    async with http_client(base_url=api_url, headers={"Authorization": f"Bearer {DEMO_TOKEN}"}) as http:
        me = (await http.get("/me")).json()
        for account in me["accounts"]:
            listed = (await http.get("/deployments", params={"account": account["name"]})).json()["deployments"]
            assert {d["name"] for d in listed} <= {a["name"] for a in account["agents"]}
        assert (await http.get("/deployments")).status_code == 400
        assert (await http.get("/deployments/dep-nope/observability/metrics")).status_code == 404
        bad = await http.get(
            "/deployments/dep-astro-team-support-bot/observability/metrics", params={"granularity": "5m"}
        )
        assert bad.json() == {"error": "invalid granularity; must be hour, day, week, or month"}
        simulator.generation = "deployment"
        gone = await http.get("/agents/astro-team/support-bot/observability/metrics")
    assert (gone.status_code, gone.text) == (404, "404 page not found")


def test_the_overview_row_reads_the_comparison_with_the_period_before() -> None:
    def bucket(at: datetime, traces: int, errors: int, latency: float) -> Bucket:
        return {
            "timestamp": at,
            "trace_count": traces,
            "avg_latency_ms": latency,
            "input_tokens": 1,
            "output_tokens": 1,
            "error_count": errors,
        }

    start = NOW.replace(minute=0, second=0) - timedelta(hours=2)
    query = MetricsQuery(AgentRef("astro-team", "bot"), start, start + timedelta(hours=2), 60)
    now = [bucket(start + timedelta(hours=1), 200, 4, 300.0)]
    assert row_of("bot", summarize(query, now, 60), "Running").change is None
    before = Reference(
        "the previous 2 hours",
        start - timedelta(hours=2),
        start,
        [bucket(start - timedelta(hours=1), 100, 1, 150.0)],
        60,
        contiguous=True,
    )
    assert row_of("bot", summarize(query, now, 60, before), "Running").change == (
        "vs the previous 2 hours: traffic 2.0x, error rate 1.00% → 2.00%, latency 2.0x"
    )


async def test_each_agent_costs_one_request_for_both_windows_and_its_last_hours_and_one_per_hour_for_its_week(
    client: Client, simulator: Simulator
) -> None:
    text, s = await overview(
        client, account="astro-team", start_time="2026-11-24T09:37:00Z", end_time="2026-11-25T09:37:00Z"
    )
    assert (s["window"]["start"], s["window"]["end"]) == ("2026-11-24T09:00:00Z", "2026-11-25T09:37:00Z")

    def asked() -> set[tuple[str, str, str, str]]:
        return {
            (r.path.split("/")[-3], r.query["start_time"], r.query["end_time"], r.query["interval"])
            for r in simulator.requests_to("metrics")
        }

    deployed = {row["name"] for row in s["agents"]}
    # 24 h 37 min back from the start, which was moved back to its hour so that no bucket straddles it, at 5
    # minutes: added up, the two windows' hours; as they are, the agent's last 6 hours. And the agent's week
    # (from midnight) up to the hour: with those last minutes added, its status now, as get_agent_metrics gives it.
    assert asked() == {
        (name, start, end, interval)
        for name in deployed
        for start, end, interval in (
            ("2026-11-23T08:23:00Z", "2026-11-25T09:37:00Z", "5"),
            ("2026-11-18T00:00:00Z", "2026-11-25T09:00:00Z", "60"),
        )
    }
    # The same overview a few minutes later asks again for the windows, not for the settled week it was given.
    read = {row["name"] for row in s["agents"] if row["status"] != "failed"}
    simulator.requests.clear()
    await overview(client, account="astro-team", start_time="2026-11-24T09:41:00Z", end_time="2026-11-25T09:41:00Z")
    again = {(name, "2026-11-23T08:19:00Z", "2026-11-25T09:41:00Z", "5") for name in read}
    assert {a for a in asked() if a[0] in read} == again
    same = "start_time='2026-11-24T09:00:00Z', end_time='2026-11-25T09:37:00Z'"
    assert f"Next: get_agent_metrics(account, name, {same})" in text
    # ...and the drill-down it suggests reads the same figures.
    for name in ("billing-agent", "weather-agent"):
        one = await client.call_tool(
            "get_agent_metrics",
            {
                "account": "astro-team",
                "name": name,
                "start_time": "2026-11-24T09:00:00Z",
                "end_time": "2026-11-25T09:37:00Z",
            },
        )
        assert one.structured_content is not None
        totals = one.structured_content["totals"]
        row = rows_by_name(s)[name]
        assert row["trace_count"] == totals["trace_count"]
        assert row["error_rate"] == totals["error_count"] / totals["trace_count"]


@pytest.mark.parametrize(
    ("start", "end", "interval"),
    [
        ("2026-11-24T09:00:00Z", "2026-11-25T09:52:00Z", 60),  # live: the last bucket still filling
        ("2026-11-25T06:15:00Z", "2026-11-25T08:03:00Z", 15),
        ("2026-11-20T00:00:00Z", "2026-11-24T21:00:00Z", 180),
        ("2026-11-25T09:05:00Z", "2026-11-25T09:52:00Z", 5),
    ],
)
async def test_one_answer_splits_exactly_into_the_window_and_the_one_before(
    api_url: str, start: str, end: str, interval: int
) -> None:
    t0, t1 = datetime.fromisoformat(start), datetime.fromisoformat(end)
    query = MetricsQuery(AgentRef("astro-team", "support-bot"), t0, t1, interval)
    earlier = with_previous(query)

    async def answer(a: datetime, b: datetime) -> list[Bucket]:
        params = {"start_time": rfc3339(a), "end_time": rfc3339(b), "interval": str(interval)}
        async with http_client(base_url=api_url, headers={"Authorization": f"Bearer {DEMO_TOKEN}"}) as http:
            got = await http.get("/agents/astro-team/support-bot/observability/metrics", params=params)
        return MetricsResponse.model_validate_json(got.content).buckets

    split = split_previous(query, await answer(earlier.start, t1), interval)
    assert split is not None
    main, before = split
    assert main == await answer(t0, t1)
    assert before.buckets == await answer(earlier.start, t0)
    assert (before.start, before.end, len(main) > 0, len(before.buckets) > 0) == (earlier.start, t0, True, True)


def test_a_bucket_that_may_straddle_the_start_sends_the_two_windows_apart() -> None:
    start = datetime(2026, 11, 25, 7, 50, tzinfo=UTC)
    query = MetricsQuery(AgentRef("astro-team", "bot"), start, start + timedelta(hours=2), 5)
    hourly: Bucket = {
        "timestamp": start.replace(minute=0),
        "trace_count": 1,
        "avg_latency_ms": 1.0,
        "input_tokens": 1,
        "output_tokens": 1,
        "error_count": 0,
    }
    assert split_previous(query, [hourly], 60) is None  # an hour bucket from 07:00 holds 07:00-07:50 too
    assert split_previous(query, [], 60) is not None


async def test_the_overview_asks_apart_where_the_api_sends_coarser_buckets(
    settings: Settings, simulator: Simulator
) -> None:
    simulator.generation = "deployment"  # hour buckets at the finest
    async with Client(server_at_now(settings)) as client:
        _, s = await overview(client, account="astro-team", start_time="now-2h")  # 5-minute buckets from 07:50
        one = await client.call_tool(
            "get_agent_metrics", {"account": "astro-team", "name": "weather-agent", "start_time": "2026-11-25T07:50Z"}
        )
    recent = {"2026-11-18T00:00:00Z", "2026-11-25T03:50:00Z", "2026-11-25T01:50:00Z"}
    asked = [
        r.query["start_time"]
        for r in simulator.requests_to("metrics")
        if "deployments/dep-astro-team-weather" in r.path and r.query["start_time"] not in recent
    ]
    # both windows in one answer of hour buckets, then each apart; the drill-down on that window is cached
    assert (asked[0], sorted(asked[1:])) == ("2026-11-25T05:48:00Z", ["2026-11-25T05:45:00Z", "2026-11-25T07:50:00Z"])
    assert one.structured_content is not None
    assert rows_by_name(s)["weather-agent"]["trace_count"] == one.structured_content["totals"]["trace_count"] > 0
