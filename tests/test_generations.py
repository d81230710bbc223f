"""Three generations of the Astro server, as the simulator plays them and as the route map learns them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx2
import pytest
from mcp import Client

from astro_mcp.api import generation as g
from astro_mcp.api import platform_routes
from astro_mcp.api.client import AstroClient
from astro_mcp.api.credentials import TokenSource
from astro_mcp.api.platform_wire import Alerts, DeployHistory, InfraEvents, Runtime
from astro_mcp.config import Settings
from astro_mcp.domain import AgentRef
from astro_mcp.sim.app import DEMO_TOKEN, Simulator
from tests.support import http_client, server_at_now, text_of

pytestmark = pytest.mark.anyio

CHECKOUT = "dep-astro-team-checkout-agent"


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AstroClient]:
    c = AstroClient(settings, TokenSource(settings))
    yield c
    await c.aclose()


@pytest.fixture
async def http(api_url: str) -> AsyncIterator[httpx2.AsyncClient]:
    async with http_client(base_url=api_url, headers={"Authorization": f"Bearer {DEMO_TOKEN}"}) as c:
        yield c


def paths(simulator: Simulator) -> list[str]:
    return [r.path.removeprefix("/api/v1") for r in simulator.requests]


@pytest.mark.parametrize(
    ("generation", "agent_route", "deployment_route", "spec"),
    [("documented", 200, 404, 404), ("both", 200, 200, 404), ("deployment", 404, 200, 200)],
)
async def test_each_generation_serves_its_routes_and_answers_a_routers_plain_404_for_the_rest(
    simulator: Simulator, api_url: str, generation: Any, agent_route: int, deployment_route: int, spec: int
) -> None:
    simulator.generation = generation
    root = api_url.removesuffix("/api/v1")
    window = {"start_time": "2026-11-25T08:00:00Z", "end_time": "2026-11-25T09:00:00Z"}
    headers = {"Authorization": f"Bearer {DEMO_TOKEN}"}
    async with http_client(headers=headers) as http:
        agent = await http.get(f"{api_url}/agents/astro-team/checkout-agent/observability/traces", params=window)
        alerts = await http.get(f"{api_url}/deployments/{CHECKOUT}/alerts")
        document = await http.get(f"{root}/openapi.json")
        me = await http.get(f"{api_url}/me")
    assert (agent.status_code, alerts.status_code, document.status_code, me.status_code) == (
        agent_route,
        deployment_route,
        spec,
        200,
    )
    for refused in (r for r in (agent, alerts, document) if r.status_code == 404):
        assert refused.text == "404 page not found"
    if spec == 200:
        assert g.ALERTS in document.json()["paths"]
        assert g.AGENT_METRICS not in document.json()["paths"]


async def test_the_route_map_reads_the_servers_openapi_once_and_never_probes_what_it_does_not_list(
    settings: Settings, simulator: Simulator, client: AstroClient
) -> None:
    simulator.generation = "deployment"
    routes = g.RouteMap(client, settings.api_url)
    assert await routes.serves(g.AGENT_METRICS) is False
    assert await routes.serves(g.TRACE_DETAIL) is True
    assert await routes.serves("/deployments/{deploymentId}/events") is True  # parameters are matched unnamed
    asked: list[str] = []

    async def documented() -> str:
        asked.append("documented")
        return "documented"

    async def per_deployment() -> str:
        return "per deployment"

    assert await routes.preferred(g.AGENT_METRICS, documented, per_deployment) == ("per deployment", False)
    assert asked == []
    assert paths(simulator) == ["/openapi.json"]  # read once, on the host root
    assert routes.published


async def test_without_openapi_a_missing_route_is_found_by_trying_once_and_then_remembered(
    settings: Settings, simulator: Simulator, client: AstroClient
) -> None:
    simulator.generation = "documented"
    routes = g.RouteMap(client, settings.api_url)
    for _ in range(2):
        found = await routes.optional(g.ALERTS, lambda: platform_routes.alerts(client, CHECKOUT))
        assert found is None  # "not available on this server", not an error
    assert sorted(paths(simulator)) == [f"/deployments/{CHECKOUT}/alerts", "/openapi.json"]  # read together
    assert not routes.published


async def test_an_unknown_agent_is_an_error_not_a_missing_route(
    settings: Settings, simulator: Simulator, client: AstroClient
) -> None:
    routes = g.RouteMap(client, settings.api_url)
    with pytest.raises(Exception, match="agent not found"):
        await routes.optional(g.DEPLOY_HISTORY, lambda: platform_routes.history(client, AgentRef("astro-team", "nope")))
    assert await routes.serves(g.DEPLOY_HISTORY) is None  # still worth trying for another agent


async def test_the_simulated_platform_tells_one_story_around_checkout_agents_incident(client: AstroClient) -> None:
    history = await platform_routes.history(client, AgentRef("astro-team", "checkout-agent"))
    newest = history.items[0]
    assert (newest.build_id, newest.deployed_at) == ("build-7f3c9a1", datetime.fromisoformat("2026-11-24T22:58:00Z"))
    alerts = (await platform_routes.alerts(client, CHECKOUT)).items
    firing = [a for a in alerts if a.state == "firing"]
    assert [a.active_since.isoformat() for a in firing if a.active_since] == [
        "2026-11-24T23:06:00+00:00",
        "2026-11-24T23:09:00+00:00",
    ]
    billing = "dep-astro-team-billing-agent"
    events = (await platform_routes.events(client, billing)).items
    assert {e.reason for e in events} >= {"OOMKilled", "CrashLoopBackOff"}
    assert all(e.guidance for e in events if e.severity == "stuck")
    (pod,) = (await platform_routes.runtime(client, billing)).pods
    assert (pod.restarts, pod.last_termination) == (14, "OOMKilled")


async def test_a_failing_trace_names_its_failing_step_and_its_steps_costs_add_up(client: AstroClient) -> None:
    start, end = datetime.fromisoformat("2026-11-25T08:00:00Z"), datetime.fromisoformat("2026-11-25T08:30:00Z")
    page = await platform_routes.traces(client, CHECKOUT, start, end, 200, 0)
    failed = [t for t in page.traces if t.failed]
    assert failed
    assert all(t.status == "" for t in page.traces)  # the status is a placeholder on this route
    in_step = [t for t in failed if t.status_message and t.status_message.startswith("TimeoutError")]
    assert in_step
    detail = await platform_routes.trace(client, CHECKOUT, in_step[0].trace_id or "")
    (step,) = [o for o in detail.observations if o.level == "ERROR"]
    assert (step.name, step.model, step.status_message) == ("price_lookup", None, in_step[0].status_message)
    costs = sum(o.cost or 0 for o in detail.observations)
    assert costs == pytest.approx(detail.total_cost, abs=1e-5)
    assert {o.model for o in detail.observations if o.type == "GENERATION"} == {"claude-sonnet-4-5"}


async def test_the_accounts_cost_summaries_agree_with_its_traces_costs(client: AstroClient) -> None:
    start, end = datetime.fromisoformat("2026-11-25T06:00:00Z"), datetime.fromisoformat("2026-11-25T07:00:00Z")
    total, requests = 0.0, 0
    per_deployment = (await platform_routes.deployments_summary(client, "astro-team", start, end)).items
    for row in (r for r in per_deployment if r.requests):  # broken-backend's traces fail: it served none
        offset, cost = 0, 0.0
        while True:
            page = await platform_routes.traces(client, row.deployment_id or "", start, end, 500, offset)
            cost += sum(t.total_cost or 0 for t in page.traces)
            offset += len(page.traces)
            if not page.traces:
                break
        assert cost == pytest.approx(row.cost_usd or 0, abs=1e-3), row.name
        total, requests = total + cost, requests + offset
    summary = await platform_routes.account_summary(client, "astro-team", start, end)
    assert summary.totals.cost_usd == pytest.approx(total, abs=1e-3)
    assert summary.totals.requests == requests
    assert sum(m.cost_usd or 0 for m in summary.cost_by_model) == pytest.approx(total, abs=1e-3)
    assert summary.change.cost_pct is not None


def test_the_wire_models_take_either_spelling_and_either_shape() -> None:
    server = Alerts.model_validate([{"name": "a", "state": "firing", "activeSince": "2026-11-24T23:06:00Z", "x": 1}])
    cli = Alerts.model_validate({"alerts": [{"name": "a", "state": "firing", "active_since": "2026-11-24T23:06:00Z"}]})
    assert server.items[0].active_since == cli.items[0].active_since is not None
    assert DeployHistory.model_validate({"history": [{"build_id": "b"}]}).items[0].build_id == "b"
    assert DeployHistory.model_validate([{"build_id": "b"}] * 1000).items.__len__() == 200  # bounded
    assert InfraEvents.model_validate([{"reason": "OOMKilled", "lastTimestamp": "2026-11-25T06:01:00Z"}]).items[0].at
    assert Runtime.model_validate({"pods": [{"restartCount": 3}]}).pods[0].restarts == 3


def says(result: Any) -> str:
    assert not result.is_error, text_of(result)
    return text_of(result)


@pytest.mark.parametrize(
    ("generation", "line"),
    [
        ("documented", "Server: documented routes"),
        ("both", "Server: documented and per-deployment routes."),  # the cost summary and the context use newer routes
        ("deployment", "Server: per-deployment routes only (its /openapi.json says so)"),
    ],
)
async def test_every_tool_answers_unchanged_against_each_generation_and_says_which_answered(
    settings: Settings, simulator: Simulator, generation: Any, line: str
) -> None:
    simulator.generation = generation
    support = {"account": "astro-team", "name": "support-bot"}
    async with Client(server_at_now(settings)) as client:
        metrics = await client.call_tool("get_agent_metrics", {**support, "start_time": "now-24h"})
        window = {"start_time": "2026-11-25T03:00:00Z", "end_time": "2026-11-25T04:00:00Z"}
        errors = await client.call_tool("get_agent_traces", {**support, **window, "limit": 5})
        overview = await client.call_tool("get_account_overview", {"account": "astro-team"})
    for answer in (metrics, errors, overview):
        assert line in says(answer)
    assert metrics.structured_content is not None
    assert metrics.structured_content["totals"]["trace_count"] > 1000
    traces = errors.structured_content
    assert traces is not None
    assert len(traces["traces"]) == 5
    assert all(t["status"] in ("error", "") for t in traces["traces"])
    assert traces["groups"][0]["name"] == "lookup_order"
    if generation == "deployment":
        assert "cannot filter by status: errors were picked out here from the 41 traces of the window" in says(errors)
    else:
        assert traces["total"] is not None


async def test_the_newest_server_finds_errors_page_by_page_and_says_how_many_pages(
    settings: Settings, simulator: Simulator
) -> None:
    support = {"account": "astro-team", "name": "weather-agent", "start_time": "now-24h", "limit": 20}
    simulator.generation = "both"
    async with Client(server_at_now(settings)) as client:
        filtered = (await client.call_tool("get_agent_traces", support)).structured_content
    simulator.generation = "deployment"
    async with Client(server_at_now(settings)) as client:
        scanned = await client.call_tool("get_agent_traces", support)
    assert filtered is not None
    assert scanned.structured_content is not None
    pages = [r for r in simulator.requests if r.path.startswith("/api/v1/deployments/") and r.path.endswith("/traces")]
    assert len(pages) >= 2
    assert all("status" not in r.query for r in pages)
    assert "cannot filter by status" in text_of(scanned)
    assert f"traces of the window, read in {len(pages)} pages." in text_of(scanned)
    mine = [t["trace_id"] for t in scanned.structured_content["traces"]]
    assert mine  # the same errors, newest first (as many as the bound leaves room for beside the longer notes)
    assert mine == [t["trace_id"] for t in filtered["traces"]][: len(mine)]


@pytest.mark.parametrize(
    ("generation", "step"),
    [("documented", None), ("both", "price_lookup"), ("deployment", "price_lookup")],
)
async def test_the_failing_step_of_checkout_agents_errors_is_shown_where_the_server_shows_trace_steps(
    settings: Settings, simulator: Simulator, generation: Any, step: str | None
) -> None:
    simulator.generation = generation
    checkout = {"account": "astro-team", "name": "checkout-agent"}
    window = {"start_time": "2026-11-24T23:00:00Z", "end_time": "2026-11-25T09:52:00Z"}
    async with Client(server_at_now(settings)) as client:
        metrics = await client.call_tool("get_agent_metrics", checkout)
        errors = await client.call_tool("get_agent_traces", {**checkout, **window, "status": "error"})
    assert not metrics.is_error, text_of(metrics)
    assert not errors.is_error, text_of(errors)
    shown = (errors.structured_content or {})["failing_step"]
    if step is None:
        assert shown is None
        assert "Failing step" not in text_of(errors)
        assert "it gives no" in text_of(errors)
        assert "trace steps" in text_of(errors)
    else:
        assert shown["said"].startswith(f"{step} (observation SPAN, model none) failed with TimeoutError in ")
        assert f"Failing step: {step} (observation SPAN" in text_of(errors)
