"""The MCP server through a real in-memory client, against the simulator over loopback HTTP."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, MCPError
from mcp.types import CallToolResult, PromptReference, ResourceTemplateReference, TextContent, TextResourceContents
from pydantic import SecretStr

from astro_mcp.analysis.results.metrics import MetricsSummary
from astro_mcp.config import Settings
from astro_mcp.server import create_server
from astro_mcp.server.resources import RAW_TEMPLATE, TEMPLATE
from astro_mcp.server.schema import compact_output
from astro_mcp.sim.app import DEMO_TOKEN, Scripted, Simulator
from tests.support import NOW, http_client, server_at_now, text_of

pytestmark = pytest.mark.anyio

MODES = ["auto", "legacy"]


@pytest.fixture(params=MODES)
async def client(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Client]:
    async with Client(server_at_now(settings), mode=request.param) as c:
        yield c


async def raw_buckets(api_url: str, agent: str, start: str, end: str, interval: int) -> list[dict[str, Any]]:
    async with http_client(headers={"Authorization": f"Bearer {DEMO_TOKEN}"}) as http:
        response = await http.get(
            f"{api_url}/agents/astro-team/{agent}/observability/metrics",
            params={"start_time": start, "end_time": end, "interval": interval},
        )
    buckets: list[dict[str, Any]] = response.json()["buckets"]
    return buckets


async def test_the_tool_publishes_a_described_flat_input_schema_and_an_output_schema(client: Client) -> None:
    (tool,) = [t for t in (await client.list_tools()).tools if t.name == "get_agent_metrics"]
    assert tool.title == "Get agent metrics"
    assert tool.annotations is not None
    assert tool.annotations.read_only_hint is True
    assert tool.annotations.idempotent_hint is True
    assert tool.annotations.open_world_hint is True
    props = tool.input_schema["properties"]
    assert set(props) == {"account", "name", "start_time", "end_time", "interval", "compare"}
    assert props["compare"]["enum"] == ["previous", "week", "none", None]  # null: the default (test_portable_schemas)
    assert tool.input_schema["required"] == ["account", "name"]
    assert all(p.get("description") for p in props.values())
    assert props["account"]["pattern"] == "^[a-z0-9][a-z0-9_-]{0,63}$"
    assert "now-7d" in props["start_time"]["description"]
    assert "UTC without an offset" in props["start_time"]["description"]
    assert tool.output_schema is not None
    assert {"status", "headline", "window", "totals", "error_rate", "incidents", "comparison", "table"} <= set(
        tool.output_schema["properties"]
    )
    assert tool.output_schema == compact_output(MetricsSummary.model_json_schema(), 1)  # see test_schema
    assert "Quote these figures" in (tool.description or "")
    assert "\n    " not in (tool.description or "")  # no docstring indentation reaches the model


async def test_a_call_returns_exact_figures_in_text_and_structured_content(client: Client, api_url: str) -> None:
    result = await client.call_tool("get_agent_metrics", {"account": "astro-team", "name": "support-bot"})
    assert not result.is_error
    s = result.structured_content
    assert s is not None
    assert s["window"] == {
        "start": "2026-11-24T09:52:00Z",
        "end": "2026-11-25T09:52:00Z",
        "interval_minutes": 60,
        "bucket_count": 25,
    }
    raw = await raw_buckets(api_url, "support-bot", "2026-11-24T09:52:00Z", "2026-11-25T09:52:00Z", 60)
    traces = sum(b["trace_count"] for b in raw)
    errors = sum(b["error_count"] for b in raw)
    assert s["totals"] == {
        "trace_count": traces,
        "error_count": errors,
        "input_tokens": sum(b["input_tokens"] for b in raw),
        "output_tokens": sum(b["output_tokens"] for b in raw),
    }
    assert s["error_rate"] == pytest.approx(errors / traces, rel=5e-4)  # 4 significant digits, counts exact
    weighted = sum(b["avg_latency_ms"] * b["trace_count"] for b in raw) / traces
    assert s["avg_latency_ms"] == pytest.approx(weighted, rel=5e-4)
    text = text_of(result)
    assert text.startswith("astro-team/support-bot: Nov 24 09:52 UTC → Nov 25 09:52 UTC")
    assert "Status: recovered. Error spike Nov 25 03:00" in text
    assert f"Traces: {traces:,}" in text
    assert "read astro://agents/astro-team/support-bot/metrics/raw?start_time=2026-11-24T09%3A52%3A00Z" in text


async def test_an_empty_window_is_an_answer_with_hints(client: Client) -> None:
    result = await client.call_tool("get_agent_metrics", {"account": "astro-team", "name": "new-agent"})
    assert not result.is_error
    assert "No traces between Nov 24 09:52 UTC and Nov 25 09:52 UTC" in text_of(result)
    assert "Try a wider window" in text_of(result)
    assert result.structured_content is not None
    assert result.structured_content["error_rate"] is None
    assert result.structured_content["avg_latency_ms"] is None


@pytest.mark.parametrize(
    ("arguments", "fix"),
    [
        ({"account": "Astro Team"}, "Did you mean account='astro-team'?"),
        ({"name": "../../etc"}, "lowercase letters, digits"),
        ({"start_time": "last tuesday"}, "Example: start_time='now-24h'"),
        ({"start_time": "now-1h", "end_time": "now-2h"}, "Did you mean start_time='now-2h', end_time='now-1h'?"),
        ({"start_time": "now+1d"}, "Metrics exist only for the past"),
        ({"start_time": "now-200d"}, "longest allowed is 90 days"),
        ({"interval": 0}, "buckets are at least 1 minute"),
        ({"interval": "1w"}, "longer than the 1 day window"),
        ({"start_time": "now-60d", "interval": "1m"}, "Use interval=5 (5 minutes) or coarser"),
        ({"interval": "every hour"}, "'15m', '1h', '1d'"),
    ],
)
async def test_refusals_are_tool_errors_that_name_the_fix_and_send_nothing(
    client: Client, simulator: Simulator, arguments: dict[str, Any], fix: str
) -> None:
    result = await client.call_tool("get_agent_metrics", {"account": "astro-team", "name": "support-bot", **arguments})
    assert result.is_error
    assert fix in text_of(result)
    assert simulator.requests == []


async def test_wrong_argument_types_are_tool_errors(client: Client) -> None:
    result = await client.call_tool("get_agent_metrics", {"account": 42, "name": "support-bot"})
    assert result.is_error
    assert "account=42 is not accepted: send a string." in text_of(result)
    assert "Example: account='astro-team'" in text_of(result)


@pytest.mark.parametrize(
    ("account", "name", "fix"),
    [
        ("locked-org", "weather-agent", "ask an admin of 'locked-org' to add you"),
        ("ghost-org", "weather-agent", "Astro knows no account 'ghost-org' for this login"),
        ("astro-team", "nobody", "(the API said: agent not found)"),
        ("fresh-org", "weather-agent", "has not deployed an agent yet"),
        ("astro-team", "broken-backend", "try again in a minute"),
        ("expired-session", "weather-agent", "). Remove ASTRO_ACCESS_TOKEN from this server's environment"),
    ],
)
async def test_upstream_errors_are_tool_errors_that_say_what_to_do(
    client: Client, account: str, name: str, fix: str
) -> None:
    result = await client.call_tool("get_agent_metrics", {"account": account, "name": name})
    assert result.is_error
    assert fix in text_of(result)
    assert DEMO_TOKEN not in text_of(result)


@pytest.mark.parametrize("mode", MODES)
async def test_without_a_token_the_server_starts_and_the_call_answers_with_a_sign_in_link(
    settings: Settings, simulator: Simulator, mode: str
) -> None:
    async with Client(server_at_now(settings, access_token=None), mode=mode) as client:
        result = await client.call_tool("get_agent_metrics", {"account": "astro-team", "name": "support-bot"})
    assert result.is_error
    assert "Not signed in to Astro AI yet, so nothing was read. Ask the user to sign in" in text_of(result)
    assert "/activate?user_code=" in text_of(result)
    assert simulator.requests == []


async def test_a_rejected_token_says_where_it_came_from(settings: Settings) -> None:
    async with Client(server_at_now(settings, access_token=SecretStr("stale-token-value"))) as client:
        result = await client.call_tool("get_agent_metrics", {"account": "astro-team", "name": "support-bot"})
    assert result.is_error
    text = text_of(result)
    assert "The Astro API rejected the access token from ASTRO_ACCESS_TOKEN (the API said: " in text
    assert text.count("reject") == 1, "the cause is said once"
    assert "). Remove ASTRO_ACCESS_TOKEN from this server's environment" in text
    assert "stale-token-value" not in text


async def test_rate_limits_and_timeouts_say_how_long_to_wait(settings: Settings, simulator: Simulator) -> None:
    simulator.script("astro-team", "support-bot", Scripted(429, b'{"error":"too many requests"}', {"retry-after": "7"}))
    simulator.script("astro-team", "weather-agent", Scripted(delay=5))
    async with Client(server_at_now(settings, max_attempts=1, read_timeout=0.3)) as client:
        # compare="none": one request each, so the scripted answer is the window's own
        limited = await client.call_tool(
            "get_agent_metrics", {"account": "astro-team", "name": "support-bot", "compare": "none"}
        )
        slow = await client.call_tool(
            "get_agent_metrics", {"account": "astro-team", "name": "weather-agent", "compare": "none"}
        )
    assert limited.is_error
    assert "Wait 7 seconds, then retry" in text_of(limited)
    assert slow.is_error
    assert "did not answer within 0.3 s" in text_of(slow)
    assert "try a shorter window or a coarser interval" in text_of(slow)


async def test_an_unreachable_api_names_the_url_to_check(settings: Settings) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/api/v1"
    async with Client(server_at_now(settings, api_url=closed, max_attempts=1)) as client:
        result = await client.call_tool("get_agent_metrics", {"account": "astro-team", "name": "support-bot"})
    assert result.is_error
    assert f"could not connect to the Astro API at {closed}" in text_of(result)
    assert "Check the network, or ASTRO_API_URL" in text_of(result)


async def test_the_server_keeps_serving_after_an_error(client: Client) -> None:
    failed = await client.call_tool("get_agent_metrics", {"account": "locked-org", "name": "x"})
    worked = await client.call_tool("get_agent_metrics", {"account": "astro-team", "name": "weather-agent"})
    assert failed.is_error
    assert not worked.is_error


async def test_identical_calls_share_one_upstream_request(settings: Settings, simulator: Simulator) -> None:
    arguments = {"account": "astro-team", "name": "weather-agent", "start_time": "now-7d", "end_time": "now-1d"}
    async with Client(server_at_now(settings)) as client:
        results: list[CallToolResult] = []

        async def call() -> None:
            results.append(await client.call_tool("get_agent_metrics", arguments))

        async with anyio.create_task_group() as tg:
            for _ in range(5):
                tg.start_soon(call)
        again = await client.call_tool("get_agent_metrics", arguments)
    # The window, the one before it, the most recent week and 6 hours, and the window's p95: each asked for once.
    assert len(simulator.requests_to("metrics")) == 4
    assert len(simulator.requests_to("summary")) == 1
    assert all(r.structured_content == again.structured_content for r in results)


async def test_resource_templates_serve_the_summary_and_the_raw_buckets(client: Client, api_url: str) -> None:
    templates = {t.uri_template: t for t in (await client.list_resource_templates()).resource_templates}
    assert set(templates) == {TEMPLATE, RAW_TEMPLATE}
    assert all(t.mime_type == "application/json" for t in templates.values())
    query = "start_time=2026-11-24T00:00:00Z&end_time=2026-11-25T00:00:00Z&interval=60"
    summary = await client.read_resource(f"astro://agents/astro-team/support-bot/metrics?{query}")
    raw = await client.read_resource(f"astro://agents/astro-team/support-bot/metrics/raw?{query}")
    (summary_content,) = summary.contents
    (raw_content,) = raw.contents
    assert isinstance(summary_content, TextResourceContents)
    assert isinstance(raw_content, TextResourceContents)
    assert summary_content.mime_type == "application/json"
    served = await raw_buckets(api_url, "support-bot", "2026-11-24T00:00:00Z", "2026-11-25T00:00:00Z", 60)
    buckets = json.loads(raw_content.text)["buckets"]
    assert [b["trace_count"] for b in buckets] == [b["trace_count"] for b in served]
    assert json.loads(summary_content.text)["totals"]["trace_count"] == sum(b["trace_count"] for b in served)


async def test_a_refused_resource_read_explains_itself(settings: Settings) -> None:
    async with Client(server_at_now(settings), raise_exceptions=True) as client:
        with pytest.raises(MCPError, match="is not a time I can read"):
            await client.read_resource("astro://agents/astro-team/support-bot/metrics?start_time=soon")


async def test_the_investigate_prompt_walks_the_model_through_the_tool(client: Client) -> None:
    (prompt,) = (await client.list_prompts()).prompts
    assert prompt.name == "investigate_agent"
    result = await client.get_prompt(
        "investigate_agent", {"account": "astro-team", "name": "support-bot", "window": "7d"}
    )
    text = "\n".join(m.content.text for m in result.messages if isinstance(m.content, TextContent))
    assert "account='astro-team', name='support-bot', start_time='now-7d'" in text
    assert "the comparison with the window before" in text  # the tool compares with the 7 days before by itself
    assert "compare='week'" in text


async def test_completions_offer_the_logins_accounts_and_the_agents_already_seen(
    settings: Settings, tmp_path: Path
) -> None:
    creds = tmp_path / "credentials.json"
    creds.write_text('{"profiles": {"default": {"accounts": [{"name": "acme"}, {"name": "astro-team"}]}}}')
    async with Client(server_at_now(settings, credentials_file=creds)) as client:
        await client.call_tool("get_agent_metrics", {"account": "astro-team", "name": "support-bot"})
        template = ResourceTemplateReference(type="ref/resource", uri=TEMPLATE)
        accounts = await client.complete(template, {"name": "account", "value": "a"})
        names = await client.complete(
            template, {"name": "name", "value": "sup"}, context_arguments={"account": "astro-team"}
        )
        windows = await client.complete(
            PromptReference(type="ref/prompt", name="investigate_agent"), {"name": "window", "value": "2"}
        )
    assert accounts.completion.values == ["astro-team", "ada-lovelace", "acme"]  # the API's first, then the login's
    assert names.completion.values == ["support-bot"]
    assert windows.completion.values == ["24h"]


async def test_known_agents_seed_completions_in_demo_mode(settings: Settings) -> None:
    server = create_server(settings, known_agents={"other-team": {"weather-agent", "batch-agent"}})
    async with Client(server) as client:
        names = await client.complete(
            ResourceTemplateReference(type="ref/resource", uri=RAW_TEMPLATE),
            {"name": "name", "value": ""},
            context_arguments={"account": "other-team"},  # unknown to the API: the seeds are all there is
        )
    assert names.completion.values == ["batch-agent", "weather-agent"]


async def test_a_window_that_ends_in_the_future_is_clamped_with_a_note(client: Client) -> None:
    later = (NOW + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = await client.call_tool(
        "get_agent_metrics",
        {"account": "astro-team", "name": "weather-agent", "start_time": "now-6h", "end_time": later},
    )
    assert not result.is_error
    assert result.structured_content is not None
    assert result.structured_content["window"]["end"] == "2026-11-25T09:52:00Z"
    assert "is in the future; the window ends now" in text_of(result)


async def test_the_chart_is_bound_to_get_agent_metrics_and_served_as_an_mcp_app(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert tools["get_agent_metrics"].meta == {"ui": {"resourceUri": "ui://astro/metrics.html"}}
    (view,) = [r for r in (await client.list_resources()).resources if r.uri == "ui://astro/metrics.html"]
    assert view.mime_type == "text/html;profile=mcp-app"
    (content,) = (await client.read_resource("ui://astro/metrics.html")).contents
    assert isinstance(content, TextResourceContents)
    assert content.text.startswith("<!doctype html>") or content.text.lower().startswith("<!doctype html>")
    assert "https://" not in content.text.split("<script", 1)[0]  # nothing fetched before the inline script
