"""The official MCP conformance suite against our streamable HTTP server (tests/conformance/run.sh).

It installs Node 22 and the suite from npm, so it runs only with ASTRO_MCP_FRAMEWORK_TESTS=1, like the
framework tests. Scenarios that need the suite's own test fixtures are listed, with why, in
tests/conformance/expected-failures.yml; the suite fails on any other failure and on a listed one that passes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).parent / "conformance" / "run.sh"


@pytest.mark.skipif(
    os.environ.get("ASTRO_MCP_FRAMEWORK_TESTS") != "1",
    reason="installs Node 22 and the conformance suite from npm: set ASTRO_MCP_FRAMEWORK_TESTS=1 (.ci/run does)",
)
def test_the_server_passes_the_conformance_scenarios_that_apply_to_it() -> None:
    env = {**os.environ, "PYTHON": sys.executable}
    done = subprocess.run(["bash", str(RUN)], capture_output=True, text=True, timeout=600, env=env, check=False)
    assert done.returncode == 0, f"conformance suite failed:\n{done.stdout[-6000:]}\n{done.stderr[-3000:]}"
