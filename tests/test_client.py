"""AstroClient against the simulator over real HTTP; MockTransport only for faults no server can send."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import httpx2
import pytest
from pydantic import SecretStr

from astro_mcp import __version__
from astro_mcp.api import routes
from astro_mcp.api.client import AstroClient
from astro_mcp.api.credentials import TokenSource
from astro_mcp.config import Settings
from astro_mcp.domain import AgentRef, MetricsQuery
from astro_mcp.errors import (
    ApiError,
    AstroError,
    ConnectionFailedError,
    ForbiddenError,
    InvalidResponseError,
    MissingTokenError,
    NotConfiguredError,
    NotFoundError,
    QueryError,
    RateLimitedError,
    RequestTimeoutError,
    UnauthorizedError,
    UpstreamError,
)
from astro_mcp.query.slugs import checked_agent
from astro_mcp.sim.app import DEMO_TOKEN, Scripted, Simulator
from tests.support import NOW, http_client

pytestmark = pytest.mark.anyio

DAY = MetricsQuery(AgentRef("astro-team", "weather-agent"), NOW - timedelta(days=1), NOW.replace(second=0), 60)


def make_client(settings: Settings, transport: httpx2.AsyncBaseTransport | None = None) -> AstroClient:
    return AstroClient(settings, TokenSource(settings), transport=transport)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AstroClient]:
    c = make_client(settings)
    yield c
    await c.aclose()


def query_for(account: str, name: str = "weather-agent") -> MetricsQuery:
    return MetricsQuery(AgentRef(account, name), DAY.start, DAY.end, 60)


async def test_metrics_match_what_the_api_served(client: AstroClient, api_url: str) -> None:
    response = await routes.metrics(client, DAY)
    async with http_client(headers={"Authorization": f"Bearer {DEMO_TOKEN}"}) as raw:
        served = (
            await raw.get(
                f"{api_url}/agents/astro-team/weather-agent/observability/metrics",
                params={"start_time": "2026-11-24T09:52:30Z", "end_time": "2026-11-25T09:52:00Z", "interval": 60},
            )
        ).json()
    assert [b["trace_count"] for b in response.buckets] == [b["trace_count"] for b in served["buckets"]]
    assert response.interval_minutes == 60
    assert sum(b["error_count"] for b in response.buckets) == sum(b["error_count"] for b in served["buckets"])


async def test_request_sends_both_times_in_utc_the_interval_token_and_user_agent(
    client: AstroClient, simulator: Simulator
) -> None:
    await routes.metrics(client, DAY)
    (sent,) = simulator.requests
    assert sent.path == "/api/v1/agents/astro-team/weather-agent/observability/metrics"
    assert sent.query == {"start_time": "2026-11-24T09:52:30Z", "end_time": "2026-11-25T09:52:00Z", "interval": "60"}
    assert sent.authorization == f"Bearer {DEMO_TOKEN}"
    assert sent.user_agent == f"astro-mcp/{__version__}"


@pytest.mark.parametrize(
    ("account", "name", "error", "message"),
    [
        ("locked-org", "weather-agent", ForbiddenError, "insufficient permissions"),
        ("ghost-org", "weather-agent", NotFoundError, "account not found"),
        ("astro-team", "nobody", NotFoundError, "agent not found"),
        ("fresh-org", "weather-agent", NotConfiguredError, "observability not configured: langfuse not configured"),
        ("astro-team", "broken-backend", UpstreamError, "failed to query observability backend"),
        ("expired-session", "weather-agent", UnauthorizedError, "authentication required"),
    ],
)
async def test_each_error_status_maps_to_its_error_with_the_apis_message(
    client: AstroClient, account: str, name: str, error: type[ApiError], message: str
) -> None:
    with pytest.raises(error) as caught:
        await routes.metrics(client, query_for(account, name))
    assert message in str(caught.value)
    assert DEMO_TOKEN not in str(caught.value) + repr(caught.value)


async def test_a_rejected_token_maps_to_unauthorized_with_the_middleware_body_shape(settings: Settings) -> None:
    client = make_client(settings.model_copy(update={"access_token": SecretStr("wrong-token-value")}))
    with pytest.raises(UnauthorizedError, match="unauthorized: Authentication required") as caught:
        await routes.metrics(client, DAY)
    assert "wrong-token-value" not in str(caught.value) + repr(caught.value)
    await client.aclose()


@pytest.mark.parametrize(
    "bad",
    [
        "../x",
        "a/b",
        "",
        "two words",
        "ASTRO",
        "аstro-team",
        "astro\u200bteam",
        "%2e%2e",
        "ａｓｔｒｏ",
        "a\x00b",
        "a" * 65,
    ],
)
async def test_path_segments_that_are_not_plain_slugs_never_reach_the_network(
    client: AstroClient, simulator: Simulator, bad: str
) -> None:
    for account, name in ((bad, "weather-agent"), ("astro-team", bad)):
        with pytest.raises(QueryError, match=r"lowercase letters, digits|split it, account="):
            await routes.metrics(client, MetricsQuery(checked_agent(account, name), DAY.start, DAY.end, 60))
    assert simulator.requests == []


async def test_missing_token_is_explained_and_nothing_is_sent(settings: Settings, simulator: Simulator) -> None:
    client = make_client(settings.model_copy(update={"access_token": None}))
    with pytest.raises(MissingTokenError, match=r"uvx astro-ai-mcp login.*ast login.*no restart needed"):
        await routes.metrics(client, DAY)
    assert simulator.requests == []


async def test_token_is_read_from_the_ast_cli_credentials_file(
    settings: Settings, simulator: Simulator, tmp_path: Path
) -> None:
    creds = tmp_path / "credentials.json"
    creds.write_text(
        '{"current_profile": "default", "profiles": {"default": {"access_token": "demo-token",'
        ' "accounts": [{"name": "other"}, {"name": "astro-team"}], "current_account": "astro-team"}}}'
    )
    tokens = TokenSource(settings.model_copy(update={"access_token": None, "credentials_file": creds}))
    client = AstroClient(settings, tokens)
    await routes.metrics(client, DAY)
    assert simulator.requests[-1].authorization == "Bearer demo-token"
    assert tokens.accounts() == ["astro-team", "other"]
    await client.aclose()


@pytest.mark.parametrize(
    ("scripted", "message"),
    [
        (Scripted(200, b"<html><body>Bad gateway</body></html>", {"content-type": "text/html"}), "not JSON"),
        (Scripted(200, b'{"buckets": "many"}'), "breaks its contract (buckets"),
        (
            Scripted(200, b'{"buckets": [{"timestamp": "2026-11-25T00:00:00Z"}]}'),
            "buckets.0.trace_count: Field required",
        ),
        (
            Scripted(
                200,
                b'{"buckets": [{"timestamp": "2026-11-25T00:00:00Z", "trace_count": -3, "avg_latency_ms": 1,'
                b' "input_tokens": 0, "output_tokens": 0, "error_count": 0}]}',
            ),
            "trace_count: Input should be greater than or equal to 0",
        ),
        (
            Scripted(
                200,
                b'{"buckets": [{"timestamp": "2026-11-25T00:00:00Z", "trace_count": "12", "avg_latency_ms": 1,'
                b' "input_tokens": 0, "output_tokens": 0, "error_count": 0}]}',
            ),
            "trace_count: Input should be a valid integer",
        ),
    ],
)
async def test_a_body_that_breaks_the_contract_is_an_invalid_response(
    client: AstroClient, simulator: Simulator, scripted: Scripted, message: str
) -> None:
    simulator.script("astro-team", "weather-agent", scripted)
    with pytest.raises(InvalidResponseError) as caught:
        await routes.metrics(client, DAY)
    assert message in str(caught.value)


async def test_a_gateway_html_error_page_keeps_its_status_and_a_tag_free_excerpt(
    settings: Settings, simulator: Simulator
) -> None:
    client = make_client(settings.model_copy(update={"max_attempts": 1}))
    page = b"<html><head><title>504 Gateway Time-out</title></head><body><h1>504 Gateway Time-out</h1></body></html>"
    simulator.script("astro-team", "weather-agent", Scripted(504, page, {"content-type": "text/html"}))
    with pytest.raises(UpstreamError) as caught:
        await routes.metrics(client, DAY)
    assert caught.value.status_code == 504
    assert str(caught.value) == "HTTP 504 Gateway Timeout: 504 Gateway Time-out 504 Gateway Time-out"
    await client.aclose()


async def test_a_body_over_the_size_cap_is_refused(settings: Settings, simulator: Simulator) -> None:
    client = make_client(settings.model_copy(update={"max_response_mb": 0.001}))
    with pytest.raises(InvalidResponseError, match="larger than 0 MB"):
        await routes.metrics(client, MetricsQuery(AgentRef("astro-team", "weather-agent"), DAY.start, DAY.end, 1))
    await client.aclose()


async def test_rate_limit_carries_retry_after(settings: Settings, simulator: Simulator) -> None:
    client = make_client(settings.model_copy(update={"max_attempts": 1}))
    simulator.script("astro-team", "weather-agent", Scripted(429, b'{"error":"slow down"}', {"retry-after": "7"}))
    with pytest.raises(RateLimitedError, match="slow down") as caught:
        await routes.metrics(client, DAY)
    assert caught.value.retry_after == 7
    await client.aclose()


def failing_transport(exc: Callable[[httpx2.Request], Exception]) -> httpx2.MockTransport:
    def handler(request: httpx2.Request) -> httpx2.Response:
        raise exc(request)

    return httpx2.MockTransport(handler)


class _TruncatedStream(httpx2.AsyncByteStream):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"buckets": [{"timestamp": "2026-11-'
        raise httpx2.RemoteProtocolError("peer closed connection without sending complete message body")


@pytest.mark.parametrize(
    ("transport", "error", "message"),
    [
        (
            failing_transport(lambda r: httpx2.ConnectError("connection refused", request=r)),
            ConnectionFailedError,
            "could not connect to the Astro API at",
        ),
        (
            failing_transport(lambda r: httpx2.ReadError("connection reset by peer", request=r)),
            ConnectionFailedError,
            "connection to the Astro API broke",
        ),
        (
            failing_transport(lambda r: httpx2.ReadTimeout("timed out", request=r)),
            RequestTimeoutError,
            "did not answer within 15 s",
        ),
        (
            httpx2.MockTransport(lambda r: httpx2.Response(200, stream=_TruncatedStream())),
            ConnectionFailedError,
            "broke before the answer was complete",
        ),
    ],
)
async def test_faults_without_an_http_answer_are_mapped(
    settings: Settings, transport: httpx2.MockTransport, error: type[AstroError], message: str
) -> None:
    client = make_client(settings.model_copy(update={"max_attempts": 1}), transport)
    with pytest.raises(error, match=message) as caught:
        await routes.metrics(client, DAY)
    assert DEMO_TOKEN not in str(caught.value) + repr(caught.value)
    await client.aclose()
