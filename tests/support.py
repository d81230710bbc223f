"""What the tests share besides fixtures (those are in conftest.py): the fixed clock, the simulator's settings,
servers stopped at NOW, and how a model reads a result."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp.server import MCPServer
from mcp.types import CallToolResult, TextContent
from pydantic import SecretStr

from astro_mcp.analysis.results.metrics import MetricsSummary
from astro_mcp.analysis.summarize import summarize
from astro_mcp.api.tls import tls_context
from astro_mcp.config import Settings
from astro_mcp.domain import LIVE, Bucket, MetricsQuery
from astro_mcp.server import create_server
from astro_mcp.server.state import AppState
from astro_mcp.sim.app import API_PREFIX, AUTH_PREFIX, DEMO_TOKEN

# A fixed "now": the simulator's incidents sit at fixed offsets before it.
NOW = datetime(2026, 11, 25, 9, 52, 30, tzinfo=UTC)
ANCHOR = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

# Everyday runs take a tenth of the examples; CI (CI=true) runs the full counts (conftest.py loads the profile).
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# The few cases that take seconds each (a month of 1-minute buckets, 90 days, 50,000 buckets): smaller
# cases of the same behaviour run every day, these in CI.
CI_ONLY = pytest.mark.skipif(not CI, reason="large and slow: CI (CI=true) runs it")

# An overview of large-org's 500 agents takes seconds of CPU, and more than the default 25 s budget on a machine
# busy with other work: the tests of what it answers give it this one (test_deadline tests the budget itself).
UNHURRIED = 300.0


def examples(full: int) -> int:
    """How many examples a property test runs: `full` in CI, a tenth of it every day."""
    return full if CI else max(10, full // 10)


def settings_at(api_url: str, home: Path) -> Settings:
    """The settings of a server on the shared simulator, with the demo token and no credentials file in `home`."""
    return Settings(
        api_url=api_url,
        access_token=SecretStr(DEMO_TOKEN),
        credentials_file=home / "absent.json",
        auth_url=api_url.removesuffix(API_PREFIX) + AUTH_PREFIX,
        retry_backoff=0.01,
    )


def server_at_now(settings: Settings, **updates: Any) -> MCPServer[AppState]:
    """The server with the clock stopped at NOW, with some settings changed."""
    return create_server(settings.model_copy(update=updates), clock=lambda: NOW)


def stdio_env(settings: Settings, home: Path) -> dict[str, str]:
    """The environment of a client-launched stdio server that has no token: a home of its own, a real keyring
    backend kept in it (keyrings.alt's plaintext one), and the simulator as the API and the sign-in service."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "ASTRO_API_URL": settings.api_url,
        "ASTRO_MCP_AUTH_URL": settings.auth_url,
        "ASTRO_MCP_CREDENTIALS_FILE": str(settings.credentials_file),
    }


def http_client(**options: Any) -> httpx2.AsyncClient:
    """A client for a test's own requests, on the process's one TLS context: a new one costs some 20 ms to build."""
    return httpx2.AsyncClient(verify=tls_context(), **options)


def text_of(result: CallToolResult) -> str:
    """The text blocks of a tool result, as a model reads them."""
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


def summarize_at(query: MetricsQuery, buckets: Sequence[Bucket], interval: int, now: datetime) -> MetricsSummary:
    """`summarize` for a query resolved at `now` (which decides whether its window is still filling)."""
    return summarize(dataclasses.replace(query, live=now - query.end < LIVE), buckets, interval)
