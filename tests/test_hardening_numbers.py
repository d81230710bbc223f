"""Any JSON number in any numeric field of an answer: parsing, summarizing and rendering give a result or one of
our errors, never anything else (no ZeroDivisionError, OverflowError, inf or NaN in the text)."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from astro_mcp.api import routes
from astro_mcp.api.client import AstroClient
from astro_mcp.api.credentials import TokenSource
from astro_mcp.config import Settings
from astro_mcp.domain import Bucket
from astro_mcp.errors import AstroError
from astro_mcp.render.metrics import render
from astro_mcp.service import Service
from tests.support import NOW, examples, summarize_at

FIELDS = ("trace_count", "avg_latency_ms", "input_tokens", "output_tokens", "error_count")
NUMBERS = st.one_of(
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, 1, 10**12, 10**12 + 1, 1e7, 1.7e308, -0.0, 5e-324]),
)
SETTINGS = Settings(api_url="http://127.0.0.1:9/api/v1", access_token=SecretStr("t" * 20), max_attempts=1)
QUERY = Service(SETTINGS, lambda: NOW).read.metrics("astro-team", "weather-agent", "now-6h", "now", "1h")


async def decode(body: bytes) -> tuple[list[Bucket], int]:
    transport = httpx2.MockTransport(lambda request: httpx2.Response(200, content=body))
    client = AstroClient(SETTINGS, TokenSource(SETTINGS, keyring=None), transport=transport)
    try:
        response = await routes.metrics(client, QUERY)
    finally:
        await client.aclose()
    return response.buckets, response.interval_minutes


@settings(max_examples=examples(500))
@given(values=st.lists(st.fixed_dictionaries(dict.fromkeys(FIELDS, NUMBERS)), min_size=1, max_size=6), interval=NUMBERS)
@pytest.mark.anyio
async def test_any_number_gives_a_result_or_our_error(values: list[dict[str, object]], interval: object) -> None:
    buckets = [{"timestamp": (QUERY.start + timedelta(hours=i)).isoformat(), **v} for i, v in enumerate(values)]
    body = json.dumps({"buckets": buckets, "interval_minutes": interval}).encode()
    try:
        parsed, minutes = await decode(body)
        text = render(summarize_at(QUERY, parsed, minutes, NOW), "astro://raw")
    except AstroError:
        return  # one of ours, with its message: the property holds
    assert "inf" not in text.lower().replace("info", "")
    assert "nan" not in text.lower().split()
