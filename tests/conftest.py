"""Shared fixtures and helpers: one simulator on real loopback HTTP for the whole session, reset between tests."""

from __future__ import annotations

import dataclasses
import gc
import os
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
from hypothesis import settings as hypothesis_settings
from mcp.server import MCPServer
from mcp.types import CallToolResult, TextContent
from pydantic import SecretStr
from xdist.scheduler import LoadScopeScheduling

from astro_mcp.analysis.results.metrics import MetricsSummary
from astro_mcp.analysis.summarize import summarize
from astro_mcp.api.tls import tls_context
from astro_mcp.config import Settings
from astro_mcp.domain import LIVE, Bucket, MetricsQuery
from astro_mcp.server import create_server
from astro_mcp.server.state import AppState
from astro_mcp.sim.app import API_PREFIX, AUTH_PREFIX, DEMO_TOKEN, Simulator
from astro_mcp.sim.serve import serve_simulator

# No test may touch the keyring of the machine it runs on: those that need one bring their own.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"

# A fixed "now": the simulator's incidents sit at fixed offsets before it.
NOW = datetime(2026, 11, 25, 9, 52, 30, tzinfo=UTC)
ANCHOR = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

# Everyday runs take a tenth of the examples; CI (CI=true) runs the full counts.
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
hypothesis_settings.register_profile("ci", deadline=None, print_blob=True)
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.load_profile("ci" if CI else "dev")


# The few cases that take seconds each (a month of 1-minute buckets, 90 days, 50,000 buckets): smaller
# cases of the same behaviour run every day, these in CI.
CI_ONLY = pytest.mark.skipif(not CI, reason="large and slow: CI (CI=true) runs it")

# An overview of large-org's 500 agents takes seconds of CPU, and more than the default 25 s budget on a machine
# busy with other work: the tests of what it answers give it this one (test_deadline tests the budget itself).
UNHURRIED = 300.0


# Modules whose fixtures compute once what all their tests assert on (a 500-agent overview): each runs on one
# worker, so that its fixtures are made once. Every other test is handed out alone, as `--dist load` does.
ONE_WORKER = frozenset({"tests/test_large_org.py"})


class _LoadKeepingSharedModules(LoadScopeScheduling):  # type: ignore[misc]  # xdist ships no type information
    def _split_scope(self, nodeid: str) -> str:
        module = nodeid.split("::", 1)[0]
        return module if module in ONE_WORKER else nodeid


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """`--dist load` (addopts), but the modules of ONE_WORKER each kept on one worker. (xdist_group cannot say it:
    xdist 3.8's loadgroup renames items by an attribute pytest 9 no longer reads.)"""
    return _LoadKeepingSharedModules(config, log) if config.getvalue("dist") == "load" else None


def examples(full: int) -> int:
    """How many examples a property test runs: `full` in CI, a tenth of it every day."""
    return full if CI else max(10, full // 10)


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def shared_simulator() -> Simulator:
    return Simulator(anchor=ANCHOR, clock=lambda: NOW)


@pytest.fixture
async def simulator(shared_simulator: Simulator) -> AsyncIterator[Simulator]:
    await shared_simulator.settled()  # an earlier test's request still being answered is not this test's
    shared_simulator.reset()
    yield shared_simulator
    shared_simulator.reset()


@pytest.fixture(scope="session")
async def api_url(shared_simulator: Simulator) -> AsyncIterator[str]:
    async with serve_simulator(shared_simulator) as url:
        yield url


@pytest.fixture
def settings(api_url: str, simulator: Simulator, tmp_path: Path) -> Settings:
    return settings_at(api_url, tmp_path)


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


def pytest_collection_finish() -> None:
    """What imports and collection made lives as long as the worker: out of the cycle collector's way, as the
    HTTP server puts what it made before it listens (each full collection walked all of it again)."""
    gc.collect()
    gc.freeze()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each module's tests dealt out in turn, one module after another: the modules whose tests mostly wait (on a
    budget, a token's lifetime) then wait beside the others' work, not all at once with the cores idle."""
    by_module: dict[str, list[pytest.Item]] = {}
    for item in items:
        by_module.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    queues = list(by_module.values())
    items[:] = [queue[i] for i in range(max(map(len, queues), default=0)) for queue in queues if i < len(queue)]
