"""get_agent_traces(trace_id=...): one trace's steps, nested, each with its model, tokens, cost, latency and message."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from mcp import Client

from astro_mcp.analysis.steps import Observed, nest
from astro_mcp.config import Settings
from astro_mcp.render.answer import BOUND
from astro_mcp.sim.app import Scripted, Simulator
from tests.support import NOW, server_at_now, text_of

pytestmark = pytest.mark.anyio

CHECKOUT = {"account": "astro-team", "name": "checkout-agent"}
INCIDENT = {"start_time": "2026-11-25T08:00:00Z", "end_time": "2026-11-25T09:00:00Z"}


async def steps_of(settings: Settings, pick: str = "price_lookup", **updates: Any) -> tuple[str, dict[str, Any]]:
    """The steps of the newest error trace of checkout-agent's incident that failed in `pick`."""
    async with Client(server_at_now(settings, **updates)) as client:
        listed = await client.call_tool("get_agent_traces", {**CHECKOUT, **INCIDENT, "limit": 50})
        rows = (listed.structured_content or {})["traces"]
        chosen = next(r["trace_id"] for r in rows if r["name"] == "checkout")
        result = await client.call_tool("get_agent_traces", {**CHECKOUT, "trace_id": chosen})
    assert not result.is_error, text_of(result)
    return text_of(result), result.structured_content or {}


async def test_a_traces_steps_are_nested_with_model_tokens_cost_latency_and_the_failing_steps_message(
    settings: Settings, simulator: Simulator
) -> None:
    text, content = await steps_of(settings)
    trace = content["trace"]
    steps = trace["steps"]
    assert [(s["depth"], s["name"]) for s in steps] == [
        (0, "checkout"),
        (1, "plan"),
        (1, "price_lookup"),
        (1, "compose_answer"),
    ]
    failed = steps[2]
    assert failed["level"] == "ERROR"
    assert failed["status_message"].startswith("TimeoutError: pricing service did not answer within 5 s")
    assert trace["failed_step"] == "price_lookup"
    generations = [s for s in steps if s["type"] == "GENERATION"]
    assert all(s["model"] == "claude-sonnet-4-5" and s["input_tokens"] and s["output_tokens"] for s in generations)
    assert sum(s["cost_usd"] for s in generations) == pytest.approx(trace["total_cost_usd"], abs=1e-5)
    assert all(s["latency_ms"] > 0 for s in steps)
    assert content["traces"] == []
    assert content["groups"] == []
    assert "it failed in price_lookup" in text
    assert "  - price_lookup (SPAN) · " in text
    assert "ERROR: ⟦TimeoutError: pricing service did not answer within 5 s (GET /v2/prices)⟧" in text
    assert "model claude-sonnet-4-5 · " in text


async def test_the_traces_content_follows_the_servers_privacy_setting(settings: Settings, simulator: Simulator) -> None:
    text, content = await steps_of(settings)
    assert "@example.com" not in text
    assert "[e-mail]" in content["trace"]["input"]
    hidden_text, hidden = await steps_of(settings, trace_content="off")
    assert hidden["trace"]["input"] is None
    assert hidden["trace"]["output"] is None
    assert "input: " not in hidden_text
    assert hidden["trace"]["steps"], "the steps are shown: they hold no end-user content"


@pytest.mark.parametrize(
    ("sent", "says"),
    [
        ("not an id!", "trace_id='not an id!' is not a trace id: ids are 1-128 letters, digits"),
        ("x" * 200, "Copy the trace_id of a trace listed by get_agent_traces (call it without trace_id first)"),
        ("0123456789abcdef", "No trace '0123456789abcdef' in astro-team/checkout-agent: copy a trace_id from a trace"),
    ],
)
async def test_a_bad_trace_id_is_refused_with_where_a_real_one_comes_from(
    settings: Settings, simulator: Simulator, sent: str, says: str
) -> None:
    async with Client(server_at_now(settings)) as client:
        result = await client.call_tool("get_agent_traces", {**CHECKOUT, "trace_id": sent})
    assert result.is_error
    assert says in text_of(result)


async def test_a_server_without_trace_steps_says_so_and_how_to_read_the_trace_instead(
    settings: Settings, simulator: Simulator
) -> None:
    simulator.generation = "documented"
    async with Client(server_at_now(settings)) as client:
        result = await client.call_tool(
            "get_agent_traces", {**CHECKOUT, "trace_id": "01c8a4fa00004e56b06bcdb7f3820d37"}
        )
    assert result.is_error
    assert "trace steps: not available on this server" in text_of(result)
    assert "Call get_agent_traces without trace_id instead" in text_of(result)


async def test_a_trace_of_hundreds_of_long_steps_fits_the_bound_keeping_its_failed_steps(
    settings: Settings, simulator: Simulator
) -> None:
    start = "2026-11-25T08:00:00Z"

    def step(k: int) -> dict[str, Any]:
        failed = k % 50 == 49
        return {
            "id": f"o{k}",
            "parent_observation_id": f"o{k - 1}" if k % 10 else None,
            "name": f"step-{k}-" + "n" * 150,
            "type": "SPAN",
            "level": "ERROR" if failed else "DEFAULT",
            "status_message": ("boom " if failed else "fine ") * 200,
            "start_time": start,
            "end_time": start,
        }

    body = {
        "id": "t1",
        "name": "big",
        "input": "i" * 50_000,
        "output": None,
        "observations": [step(k) for k in range(200)],
    }
    simulator.script("astro-team", "checkout-agent", Scripted(body=json.dumps(body).encode()), leaf="trace")
    async with Client(server_at_now(settings)) as client:
        result = await client.call_tool("get_agent_traces", {**CHECKOUT, "trace_id": "t1"})
    content = result.structured_content or {}
    size = len(text_of(result)) + len(json.dumps(content, separators=(",", ":")))
    assert size <= BOUND
    trace = content["trace"]
    assert trace["more_steps"] > 0
    assert [s["name"][:7] for s in trace["steps"] if s["level"] == "ERROR"] == [
        f"step-{k}"[:7] for k in (49, 99, 149, 199)
    ]
    assert f"and {trace['more_steps']} more steps, left out" in text_of(result)


def test_steps_nest_by_parent_in_start_order_and_a_loop_of_parents_loses_no_step() -> None:
    def o(id_: str, parent: str | None, minute: int) -> Observed:
        at = NOW + timedelta(minutes=minute)
        return Observed(id_, parent, id_, "SPAN", None, None, None, at, at, None, None, None)

    found = nest(
        [
            o("b", "root", 2),
            o("root", None, 0),
            o("a", "root", 1),
            o("a1", "a", 1),
            o("x", "y", 5),
            o("y", "x", 6),
            o("orphan", "missing", 3),
        ]
    )
    assert [(d, s.id) for d, s in found] == [
        (0, "root"),
        (1, "a"),
        (2, "a1"),
        (1, "b"),
        (0, "orphan"),
        (0, "x"),
        (0, "y"),
    ]
