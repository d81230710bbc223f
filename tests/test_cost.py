"""What agents cost: the platform's cost summary joined to the metrics and the overview, against every generation."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from mcp import Client

from astro_mcp.analysis.cost import Ledger, Spent, costed
from astro_mcp.analysis.results.metrics import MetricsSummary
from astro_mcp.api.tls import tls_context
from astro_mcp.config import Settings
from astro_mcp.server import create_server
from astro_mcp.sim.app import DEMO_TOKEN, Simulator
from tests.support import NOW, http_client, server_at_now, text_of

pytestmark = pytest.mark.anyio

TOKEN_JUMP = {"account": "zoo", "name": "token-jump", "start_time": "now-24h"}
HOUR = {"start_time": "2026-11-25T06:00:00Z", "end_time": "2026-11-25T07:00:00Z"}


def said(result: Any) -> tuple[str, dict[str, Any]]:
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    return text_of(result), result.structured_content


async def platform_cost(api_url: str, account: str, window: dict[str, str]) -> dict[str, float]:
    """Each deployment's cost over `window`, as the platform's cost summary says."""
    params = {"from": window["start_time"], "to": window["end_time"]}
    async with http_client(headers={"Authorization": f"Bearer {DEMO_TOKEN}"}) as http:
        got = await http.get(f"{api_url}/accounts/{account}/observability/deployments-summary", params=params)
    return {row["name"]: row["cost_usd"] for row in got.json()["deployments"]}


async def traces_cost(api_url: str, account: str, window: dict[str, str]) -> float:
    """The sum of every trace's total_cost over `window`, read page by page from each deployment."""
    total = 0.0
    async with http_client(base_url=api_url, headers={"Authorization": f"Bearer {DEMO_TOKEN}"}) as http:
        deployments = (await http.get("/deployments", params={"account": account})).json()["deployments"]
        for d in deployments:
            offset = 0
            while True:
                params = {**window, "limit": "500", "offset": str(offset)}
                page = await http.get(f"/deployments/{d['id']}/observability/traces", params=params)
                if page.status_code != 200:  # broken-backend's traces fail: it served none
                    break
                traces = page.json()["traces"]
                total += sum(t["total_cost"] or 0.0 for t in traces)
                offset += len(traces)
                if not traces:
                    break
    return total


@pytest.mark.parametrize("generation", ["both", "deployment"])
async def test_the_metrics_say_the_windows_exact_cost_and_the_cost_before_where_the_platform_gives_cost(
    settings: Settings, simulator: Simulator, api_url: str, generation: Any
) -> None:
    simulator.generation = generation
    async with Client(server_at_now(settings)) as client:
        text, s = said(await client.call_tool("get_agent_metrics", TOKEN_JUMP))
    w = {"start_time": s["window"]["start"], "end_time": s["window"]["end"]}
    exact = (await platform_cost(api_url, "zoo", w))["token-jump"]
    cost = s["cost"]
    assert cost["available"] is True
    assert cost["total_usd"] == pytest.approx(exact, rel=1e-3)
    assert cost["per_trace_usd"] == pytest.approx(exact / s["totals"]["trace_count"], rel=1e-3)
    assert cost["before_estimated"] is False  # the previous day's cost is the platform's too
    assert cost["per_trace_change"] == pytest.approx(1.2, abs=0.2)  # tokens per trace +119%, one price
    (line,) = [x for x in text.splitlines() if x.startswith("Cost: ")]
    assert line.startswith(f"Cost: ${exact:.2f}, $")
    assert "(exact: the platform's cost summary); the previous day: $" in line


async def test_the_documented_generation_says_cost_is_not_available_in_one_line_and_answers_the_rest(
    settings: Settings, simulator: Simulator
) -> None:
    simulator.generation = "documented"
    async with Client(server_at_now(settings)) as client:
        text, s = said(await client.call_tool("get_agent_metrics", TOKEN_JUMP))
        probed = len(simulator.requests_to("deployments-summary"))
        over, o = said(await client.call_tool("get_account_overview", {"account": "zoo"}))
    assert [x for x in text.splitlines() if "Cost" in x and "Incident" not in x and "→" not in x] == [
        "Cost: not available (this Astro server gives no cost summary)."
    ]
    assert s["cost"]["available"] is False
    assert s["cost"]["total_usd"] is None
    assert s["status"] == "degraded"  # the tokens still tell
    assert "Cost: not available (this Astro server gives no cost summary)." in over.splitlines()
    assert all(r["cost_usd"] is None for r in o["agents"])
    assert (o["cost_usd"], o["cost_note"]) == (None, "Cost: not available (this Astro server gives no cost summary).")
    # The route was found missing on the first call (its window and the one before, asked together), then never
    # asked for again.
    assert probed <= 2
    assert len(simulator.requests_to("deployments-summary")) == probed


async def test_the_token_jump_is_an_incident_whose_headline_names_tokens_and_its_estimated_cost(
    settings: Settings, simulator: Simulator
) -> None:
    async with Client(server_at_now(settings)) as client:
        text, s = said(await client.call_tool("get_agent_metrics", TOKEN_JUMP))
        _, o = said(await client.call_tool("get_account_overview", {"account": "zoo"}))
    assert s["status"] == "degraded"
    assert s["headline"].startswith("Tokens per trace regression, ongoing since Nov 25 00:00 UTC")
    assert "; cost per trace about $0.0158, was $0.00268 (estimated from tokens)" in s["headline"]
    (incident,) = s["incidents"]
    cost = incident["cost"]
    # Its traces at their own tokens per trace, priced at the window's cost per token; the excess against typical.
    assert cost["per_trace_usd"] / cost["typical_per_trace_usd"] == pytest.approx(7380 / 1254, rel=0.01)
    assert cost["usd"] == pytest.approx(cost["per_trace_usd"] * incident["trace_count"], rel=0.01)
    assert cost["excess_usd"] == pytest.approx(cost["usd"] * (1 - 1254 / 7380), rel=0.01)
    assert f"Cost: about ${cost['usd']:.2f} (${cost['excess_usd']:.2f} above its typical cost per trace)" in text
    (row,) = [r for r in o["agents"] if r["name"] == "token-jump"]
    assert row["status"] == "degraded"
    assert "Tokens per trace regression" in row["reason"]
    assert "cost per trace about $" in row["reason"]
    assert row["cost_usd"] > 0


async def test_the_overviews_account_total_is_the_sum_of_every_traces_cost_and_costs_one_request(
    settings: Settings, simulator: Simulator, api_url: str
) -> None:
    async with Client(server_at_now(settings)) as client:
        text, o = said(await client.call_tool("get_account_overview", {"account": "astro-team", **HOUR}))
    assert len(simulator.requests_to("deployments-summary")) == 1
    assert simulator.requests_to("summary") == []  # neither the account summary nor a p95 per agent
    simulator.reset()
    total = await traces_cost(api_url, "astro-team", HOUR)
    assert o["cost_usd"] == pytest.approx(total, abs=1e-3)
    priced = [r for r in o["agents"] if r["cost_usd"] is not None and r["trace_count"]]
    assert sum(r["cost_usd"] for r in priced) == pytest.approx(total, abs=1e-3)
    assert all(r["cost_per_trace_usd"] == pytest.approx(r["cost_usd"] / r["trace_count"]) for r in priced)
    assert o["cost_change"] is not None
    assert o["cost_note"] in text.splitlines()
    assert f"Cost: ${total:.2f} over the window (exact: the platform's cost summary); about " in text
    assert "(estimated: the agents' tokens then, at their price per token now)." in text


async def test_an_unknown_sort_is_refused_with_the_accepted_values_before_any_request(
    settings: Settings, simulator: Simulator
) -> None:
    async with Client(server_at_now(settings)) as client:
        result = await client.call_tool("get_account_overview", {"account": "zoo", "sort": "price"})
    assert result.is_error
    message = text_of(result)
    assert "sort=\"price\" is not one of the accepted values: 'attention', 'cost', 'cost_per_trace'" in message
    assert "Example: sort='cost'." in message
    assert simulator.requests == []


class FailingCostSummary(httpx2.AsyncBaseTransport):
    """The simulator, except that its cost summary fails: a fault of one route it cannot play."""

    def __init__(self) -> None:
        self.inner = httpx2.AsyncHTTPTransport(verify=tls_context())

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/deployments-summary"):
            return httpx2.Response(500, json={"error": "cost backend unavailable"})
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_a_failing_cost_summary_is_one_line_and_never_an_error(settings: Settings, simulator: Simulator) -> None:
    once = settings.model_copy(update={"max_attempts": 1})
    server = create_server(once, transport=FailingCostSummary(), clock=lambda: NOW)
    async with Client(server) as client:
        text, s = said(await client.call_tool("get_agent_metrics", TOKEN_JUMP))
        over, o = said(await client.call_tool("get_account_overview", {"account": "zoo"}))
    line = "Cost: not available (the platform's cost summary failed: the Astro API failed (HTTP 500: cost backend "
    assert next(x for x in text.splitlines() if x.startswith("Cost: ")).startswith(line)
    assert s["cost"]["available"] is False
    assert any(x.startswith(line) for x in over.splitlines())
    assert o["cost_usd"] is None
    assert o["cost_note"].startswith(line)
    assert len(o["agents"]) == 10


async def test_a_cost_per_trace_that_moved_while_tokens_held_is_told_as_a_new_price_and_a_missing_before_is_estimated(
    settings: Settings, simulator: Simulator
) -> None:
    async with Client(server_at_now(settings)) as client:
        _, s = said(await client.call_tool("get_agent_metrics", {"account": "astro-team", "name": "weather-agent"}))
    summary = MetricsSummary.model_validate(s)
    assert summary.comparison is not None
    assert abs(summary.comparison.tokens_per_trace_change or 1.0) < 0.1  # a steady agent: tokens held
    traces, before = summary.totals.trace_count, summary.comparison.trace_count
    now = Ledger({"weather-agent": Spent(2.0 * traces / 1000, traces)})
    dearer = costed(summary, now, Ledger({"weather-agent": Spent(1.0 * before / 1000, before)}))
    assert dearer.cost is not None
    assert dearer.cost.per_trace_change == pytest.approx(1.0)
    assert "the price per token changed (another model?)" in dearer.cost.note
    guessed = costed(summary, now, Ledger(missing="the platform's cost summary failed: timed out"))
    assert guessed.cost is not None
    assert guessed.cost.before_estimated is True
    assert "estimated: its tokens at this window's price per token" in guessed.cost.note
    assert "price per token changed" not in guessed.cost.note  # an estimate at one price cannot show a new one
