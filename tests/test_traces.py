"""get_agent_traces, the p95 in get_agent_metrics, the investigate prompt: a real client, the simulator on loopback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from mcp import Client, MCPError
from mcp.types import TextContent

from astro_mcp.analysis.results.traces import TracesAnswer
from astro_mcp.analysis.traces import KEPT_CHARS, Content, TracePage, content_of, prepare, shorten
from astro_mcp.config import Settings
from astro_mcp.domain import AgentRef, Trace, TracesQuery
from astro_mcp.render.answer import BOUND, fitted
from astro_mcp.render.traces import TRACES
from astro_mcp.server import create_server
from astro_mcp.sim.app import DEMO_TOKEN, Simulator
from astro_mcp.sim.traces import HUGE_CHARS
from tests.support import NOW, examples, http_client, server_at_now, text_of

pytestmark = pytest.mark.anyio

SPIKE = {"start_time": "2026-11-25T03:00:00Z", "end_time": "2026-11-25T04:00:00Z"}
AGENT = {"account": "astro-team", "name": "support-bot"}


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    async with Client(server_at_now(settings)) as c:
        yield c


async def api(api_url: str, leaf: str, **params: Any) -> Any:
    async with http_client(headers={"Authorization": f"Bearer {DEMO_TOKEN}"}) as http:
        response = await http.get(f"{api_url}/agents/astro-team/support-bot/observability/{leaf}", params=params)
    return response.json()


def size(result: Any) -> int:
    return len(text_of(result)) + len(json.dumps(result.structured_content, separators=(",", ":")))


async def test_the_spike_errors_match_the_metrics_and_are_grouped_by_operation(client: Client, api_url: str) -> None:
    result = await client.call_tool("get_agent_traces", {**AGENT, **SPIKE})
    assert not result.is_error
    s = result.structured_content
    assert s is not None
    metrics = await api(api_url, "metrics", **SPIKE, interval=60)
    errors = sum(b["error_count"] for b in metrics["buckets"])
    raw = await api(api_url, "traces", **SPIKE, status="error", limit=100)
    assert s["total"] == errors == raw["total"] == len(raw["traces"])
    assert [t["trace_id"] for t in s["traces"]] == [t["trace_id"] for t in raw["traces"]][:10]
    assert [t["timestamp"] for t in s["traces"]] == sorted((t["timestamp"] for t in s["traces"]), reverse=True)
    assert all(t["status"] == "error" for t in s["traces"])
    by_name: dict[str, int] = {}
    for t in raw["traces"]:
        by_name[t["name"]] = by_name.get(t["name"], 0) + 1
    assert {g["name"]: g["count"] for g in s["groups"]} == by_name
    top = s["groups"][0]
    assert top["name"] == "lookup_order"
    assert top["count"] > errors / 2
    assert f"lookup_order {top['count']} of {errors}" in text_of(result)


async def test_huge_and_json_contents_are_shortened_and_marked_within_the_bound(settings: Settings) -> None:
    async with Client(server_at_now(settings, trace_content="truncated")) as client:
        for limit in (10, 50):
            result = await client.call_tool("get_agent_traces", {**AGENT, **SPIKE, "limit": limit})
            assert size(result) <= BOUND
            traces = (result.structured_content or {})["traces"]
            huge = next(t for t in traces if t["input_chars"] == HUGE_CHARS)
            assert huge["input"].endswith(f"… [cut: {HUGE_CHARS:,} characters in all]")
            structured = next(t for t in traces if (t["input"] or "").startswith("{"))
            assert json.loads(structured["input"])["customer"]["email"].endswith("@example.com")
            assert "5,242,880 characters in all" in text_of(result)


async def test_a_long_window_pages_without_overlap_and_says_how(client: Client) -> None:
    args = {**AGENT, "start_time": "7d"}
    first = await client.call_tool("get_agent_traces", args)
    s = first.structured_content or {}
    assert s["next_offset"] == 10
    assert "offset=10" in text_of(first)
    second = (await client.call_tool("get_agent_traces", {**args, "offset": 10})).structured_content or {}
    assert second["offset"] == 10
    ids = [t["trace_id"] for t in s["traces"] + second["traces"]]
    assert len(set(ids)) == 20
    assert second["traces"][0]["timestamp"] <= s["traces"][-1]["timestamp"]


@pytest.mark.parametrize(("mode", "shown"), [("off", False), ("full", True)])
async def test_the_content_setting_hides_or_widens_trace_content(settings: Settings, mode: str, shown: bool) -> None:
    async with Client(server_at_now(settings, trace_content=mode)) as c:
        result = await c.call_tool("get_agent_traces", {**AGENT, **SPIKE})
    traces = (result.structured_content or {})["traces"]
    assert size(result) <= BOUND
    assert any(t["input"] is not None for t in traces) is shown
    assert ("@example.com" in text_of(result)) is shown
    if shown:  # full: more than the truncated mode's 300 characters of the huge input
        assert max(len(t["input"]) for t in traces) > 400


async def test_bad_arguments_are_refused_like_get_agent_metrics_does(client: Client) -> None:
    result = await client.call_tool("get_agent_traces", {"account": "Astro Team", "name": "support-bot"})
    assert result.is_error
    assert "Did you mean account='astro-team'?" in text_of(result)
    result = await client.call_tool("get_agent_traces", {**AGENT, "limit": 51})
    assert result.is_error


async def test_metrics_report_the_windows_p95_from_the_summary(client: Client, api_url: str) -> None:
    result = await client.call_tool("get_agent_metrics", AGENT)
    s = result.structured_content or {}
    summary = await api(api_url, "summary", start_time=s["window"]["start"], end_time=s["window"]["end"])
    assert s["p95_latency_ms"] == summary["metrics"]["p95_latency_ms"]
    assert f"p95 latency: {summary['metrics']['p95_latency_ms']:,.1f} ms for the whole window" in text_of(result)
    assert "buckets carry only means: a percentile is for the whole window" in text_of(result)


async def test_metrics_still_answer_when_the_summary_endpoint_is_missing(settings: Settings) -> None:
    simulator = Simulator(anchor=NOW.replace(minute=0, second=0), clock=lambda: NOW)
    forward = httpx2.ASGITransport(app=simulator.app)

    async def handler(request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/summary"):
            return httpx2.Response(404, text="404 page not found")
        return await forward.handle_async_request(request)

    demo = settings.model_copy(update={"api_url": "http://simulator/api/v1"})
    server = create_server(demo, transport=httpx2.MockTransport(handler), clock=lambda: NOW)
    async with Client(server) as c:
        result = await c.call_tool("get_agent_metrics", AGENT)
    assert not result.is_error
    assert (result.structured_content or {})["p95_latency_ms"] is None
    assert "p95: not available" in text_of(result)


@pytest.mark.parametrize(("window", "start"), [("3d", "now-3d"), ("48h", "now-2d")])
async def test_the_prompt_takes_any_duration_and_leads_to_the_traces(client: Client, window: str, start: str) -> None:
    result = await client.get_prompt("investigate_agent", {**AGENT, "window": window})
    text = "\n".join(m.content.text for m in result.messages if isinstance(m.content, TextContent))
    assert f"account='astro-team', name='support-bot', start_time='{start}'" in text
    assert "get_agent_traces" in text
    assert "traces_call" in text
    week = await client.get_prompt("investigate_agent", {**AGENT, "window": "1w"})
    assert "start_time='now-7d'" in str(week.messages[0].content)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({**AGENT, "window": "1y"}, "unknown unit 'y'"),
        ({"account": "astro-team"}, "investigate_agent needs name"),
        ({"account": "Astro Team", "name": "support-bot"}, "Did you mean account='astro-team'?"),
        ({**AGENT, "window": "400d"}, "longest allowed is 90 days"),
    ],
)
async def test_the_prompt_refuses_bad_arguments_with_a_message_the_client_sees(
    client: Client, arguments: dict[str, str], message: str
) -> None:
    with pytest.raises(MCPError, match=message) as caught:
        await client.get_prompt("investigate_agent", arguments)
    assert caught.value.error.code == -32602


# --- pure: shortening and the bound, for any content -------------------------------------------------

TEXT = st.text(st.characters(codec="utf-8"), max_size=3000)
JSON = st.recursive(st.none() | st.integers() | TEXT, lambda kids: st.lists(kids, max_size=4), max_leaves=6)


@given(TEXT, st.integers(min_value=0, max_value=500))
@hsettings(max_examples=examples(500))
def test_shortening_keeps_a_marked_prefix(text: str, cap: int) -> None:
    short = shorten(text, cap)
    if len(text) <= cap:
        assert short == text
    else:
        head, marker = short.split("… [cut: ", 1)
        assert text.startswith(head)
        assert len(head) <= cap
        assert marker == f"{len(text):,} characters in all]"


LONG_TOKEN = "eyJ" + "h" * 3_000 + "." + "p" * 20 + "." + "s" * 20  # a token longer than the margin dropped


@given(
    st.integers(min_value=0, max_value=60),
    st.sampled_from(["kenji.mori@example.com", "sk-live-" + "a1" * 12, LONG_TOKEN]),
)
@hsettings(max_examples=examples(60))
def test_a_long_content_is_masked_where_it_can_show_and_no_secret_cut_at_the_end_of_its_start_shows(
    shift: int, secret: str
) -> None:
    # A secret early on, and one cut in two by the end of the start kept (shifted across the cut).
    cut_at = KEPT_CHARS - len(secret) // 2 - shift
    text = f"mail {secret} then " + "lorem ipsum " * (cut_at // 12)
    text = text[:cut_at] + f" {secret} " + "dolor " * 5_000
    kept = content_of(text, masked=True)
    assert kept is not None
    assert kept.cut
    assert kept.chars == len(text)
    assert kept.text.startswith("mail [")
    assert secret[:6] not in kept.text  # no piece of either secret long enough to mean anything
    assert kept.shown(BOUND).endswith(f"… [cut: {len(text):,} characters in all]")
    assert len(kept.shown(BOUND)) <= BOUND + len(f"… [cut: {len(text):,} characters in all]")
    plain = content_of(text, masked=False)
    assert plain is not None
    assert (plain.text, plain.chars) == (text[:KEPT_CHARS], len(text))


def test_a_content_within_the_kept_length_is_kept_whole_masked_as_before() -> None:
    text = "write to kenji.mori@example.com " * 100
    kept = content_of(text, masked=True)
    assert kept is not None
    assert kept == Content(text.replace("kenji.mori@example.com", "[e-mail]"), len(text), cut=False)
    assert kept.shown(10_000) == kept.text


@given(
    st.lists(st.tuples(TEXT, JSON, JSON, st.integers(0, 10**6)), min_size=0, max_size=50),
    st.integers(min_value=1, max_value=50),
    st.sampled_from(["full", "truncated", "off"]),
)
@hsettings(max_examples=examples(200))
def test_any_traces_give_an_answer_within_the_bound(
    rows: list[tuple[str, Any, Any, int]], limit: int, mode: Any
) -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    traces = [
        Trace(trace_id=name * 3, name=name, status="error", input=i, output=o, timestamp=start + timedelta(seconds=s))
        for name, i, o, s in rows
    ]
    query = TracesQuery(AgentRef("astro-team", "support-bot"), start, start + timedelta(days=1), "error", limit, 0)
    fetched = prepare(traces)
    fit = fitted(TRACES, TracePage(query, fetched, len(traces), mode))
    assert len(fit.text) + len(json.dumps(fit.structured, separators=(",", ":"))) <= BOUND
    result = TracesAnswer.model_validate(fit.structured)
    assert sum(g.count for g in result.groups) == len(traces)
