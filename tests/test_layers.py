"""The layer contract (import-linter, in pyproject.toml) holds, and a wrong import breaks it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).parent / "lint-imports"


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "astro_mcp", tmp_path / "astro_mcp", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def contract_count() -> int:
    return len(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"])


def test_the_package_keeps_its_layers(tree: Path) -> None:
    result = lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {contract_count()} kept, 0 broken." in result.stdout


LAYERS = "Layers: each layer imports only those below it"


@pytest.mark.parametrize(
    ("module", "wrong", "contract"),
    [
        ("analysis/grid.py", "from astro_mcp.api import client", LAYERS),
        ("render/metrics.py", "from astro_mcp.service import Service", LAYERS),
        ("service/metrics.py", "from astro_mcp.server import tools", LAYERS),
        ("query/window.py", "from astro_mcp.analysis import summarize", LAYERS),
        ("render/agents.py", "from astro_mcp.api import wire", LAYERS),
        (
            "server/calls.py",
            "from astro_mcp.api import routes",
            "The server reaches the Astro API only through the service",
        ),
        (
            "server/tools.py",
            "from astro_mcp.query import window",
            "Tools read arguments, call a use case and name a rendering: nothing lower",
        ),
        ("server/resources.py", "from astro_mcp.server import tools", "Resources and prompts do not lean on the tools"),
        ("service/fleet.py", "from astro_mcp.api import routes", "Use cases see the API only through the Upstream"),
    ],
)
def test_an_import_against_the_contract_breaks_it(tree: Path, module: str, wrong: str, contract: str) -> None:
    path = tree / "astro_mcp" / module
    path.write_text(path.read_text() + f"\n{wrong}  # noqa\n")
    result = lint(tree)
    assert result.returncode != 0
    assert f"{contract} BROKEN" in result.stdout
    assert f"Contracts: {contract_count() - 1} kept, 1 broken." in result.stdout
