"""Fixtures and hooks: one simulator on real loopback HTTP for the whole session, reset between tests, and the
order the workers take the tests in. What tests import from each other lives in support.py.

The xdist controller loads this file too, before it starts the workers: it imports nothing heavy here (the SDK,
the server, the simulator), so that the workers start sooner; fixtures import them when they run.
"""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings as hypothesis_settings
from xdist.scheduler import LoadScopeScheduling

if TYPE_CHECKING:
    from astro_mcp.config import Settings
    from astro_mcp.sim.app import Simulator

# A worker's imports and collection make long-lived objects by the hundred thousand, and each full collection
# meanwhile walked all of them again: some 1.5 s of a worker's start. The collector resumes once they are made,
# with them put out of its way (`pytest_collection_finish`).
if os.environ.get("PYTEST_XDIST_WORKER"):
    gc.disable()

# Where PYTHONDONTWRITEBYTECODE is set (many CI machines and containers set it), each Python process of a run, the
# five workers and the thirty-odd servers and commands the tests start, compiled pytest, the SDK and the package
# again: a fifth of the run's CPU. The run's processes write their bytecode as Python does by default (into
# __pycache__, which git ignores), for the next process and the next run.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

# No test may touch the keyring of the machine it runs on: those that need one bring their own.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"

# Everyday runs take a tenth of the examples (support.examples); CI (CI=true) runs the full counts.
hypothesis_settings.register_profile("ci", deadline=None, print_blob=True)
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.load_profile("ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "dev")


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


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def shared_simulator() -> Simulator:
    from astro_mcp.sim.app import Simulator
    from tests.support import ANCHOR, NOW

    return Simulator(anchor=ANCHOR, clock=lambda: NOW)


@pytest.fixture
async def simulator(shared_simulator: Simulator) -> AsyncIterator[Simulator]:
    await shared_simulator.settled()  # an earlier test's request still being answered is not this test's
    shared_simulator.reset()
    yield shared_simulator
    shared_simulator.reset()


@pytest.fixture(scope="session")
async def api_url(shared_simulator: Simulator) -> AsyncIterator[str]:
    from astro_mcp.sim.serve import serve_simulator

    async with serve_simulator(shared_simulator) as url:
        yield url


@pytest.fixture
def settings(api_url: str, simulator: Simulator, tmp_path: Path) -> Settings:
    from tests.support import settings_at

    return settings_at(api_url, tmp_path)


def pytest_collection_finish() -> None:
    """What imports and collection made lives as long as the worker: out of the cycle collector's way, as the
    HTTP server puts what it made before it listens (each full collection walked all of it again). The little
    garbage imports leave is frozen with it: collecting it first would walk everything once more. Then the
    collector runs every 20,000 new objects instead of 700: the tests make objects by the million, most of them
    freed at once, and the more often it ran the more of them it walked (4 s of a run's CPU, against 2 s)."""
    gc.freeze()
    gc.set_threshold(20_000, 10, 10)
    gc.enable()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "waits(seconds=2): waits about `seconds` on real time (a budget, a deadline, a token's lifetime, a process)",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The order the workers take tests in: each module's tests dealt out in turn, and the tests that wait spread
    over the first three quarters, the longest first. A test that waits leaves its core to the others' work; many
    waiting at once leave the cores idle, and one left waiting at the end holds the whole run."""
    by_module: dict[str, list[pytest.Item]] = {}
    for item in items:
        by_module.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    queues = list(by_module.values())
    dealt = [queue[i] for i in range(max(map(len, queues), default=0)) for queue in queues if i < len(queue)]
    waiting = sorted((item for item in dealt if item.get_closest_marker("waits")), key=_waits, reverse=True)
    rest = [item for item in dealt if not item.get_closest_marker("waits")]
    every = max(1, len(rest) * 3 // 4 // max(1, len(waiting)))  # one test that waits, then `every` others
    items[:] = []
    for i, item in enumerate(waiting):
        items += [item, *rest[i * every : (i + 1) * every]]
    items += rest[len(waiting) * every :]


def _waits(item: pytest.Item) -> float:
    marker = item.get_closest_marker("waits")
    return float(marker.args[0]) if marker and marker.args else 2.0
