"""Shared fixtures: the simulator on real loopback HTTP, and settings that point at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from astro_mcp.config import Settings
from astro_mcp.simulator import DEMO_TOKEN, Simulator, serve_simulator

# A fixed "now": the simulator's incidents sit at fixed offsets before it.
NOW = datetime(2026, 11, 25, 9, 52, 30, tzinfo=UTC)
ANCHOR = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def simulator() -> Simulator:
    return Simulator(anchor=ANCHOR, clock=lambda: NOW)


@pytest.fixture
async def api_url(simulator: Simulator) -> AsyncIterator[str]:
    async with serve_simulator(simulator) as url:
        yield url


@pytest.fixture
def settings(api_url: str, tmp_path: Path) -> Settings:
    return Settings(
        api_url=api_url,
        access_token=SecretStr(DEMO_TOKEN),
        credentials_file=tmp_path / "absent.json",
        retry_backoff=0.01,
    )
