"""A stdio server answers `initialize` without loading what only a call needs: the tools (their result models,
renderings and argument models), the API client and sign-in, the analysis, the simulator, the keyring. Each
would add to every start; the list below is the guard.
(uvicorn is not on it: the SDK imports it when it starts.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}

# Prefixes of modules that a server must not have imported when it answers `initialize`.
NOT_AT_START = (
    "astro_mcp.server.tools",  # made when first listed or called
    "astro_mcp.server.toolkit",
    "astro_mcp.server.args",
    "astro_mcp.render",  # the tools' renderings
    "astro_mcp.analysis",  # the judgement, and the result models the tools return
    "astro_mcp.service",  # the use cases, made by the first call that needs them
    "astro_mcp.api",  # the HTTP client, the wire models, the sign-in and credentials
    "astro_mcp.advice",
    "astro_mcp.query",
    "astro_mcp.domain",  # the checked values of a call, and the API's traces
    "astro_mcp.sim",  # the bundled simulator, for --demo and the tests
    "keyring",
)


def modules_imported_until_initialized(*args: str) -> list[str]:
    """The modules `astro-mcp` imports from its start to its answer to `initialize`, read from -X importtime."""
    env = {
        **os.environ,
        "ASTRO_API_URL": "http://127.0.0.1:9/api/v1",  # never dialled
        "ASTRO_ACCESS_TOKEN": "startup-token-never-sent",
    }
    process = subprocess.Popen(
        [sys.executable, "-X", "importtime", "-m", "astro_mcp", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write((json.dumps(INIT) + "\n").encode())
    process.stdin.flush()
    answer = json.loads(process.stdout.readline())
    process.kill()  # what it would import later, on its way out, does not count
    _, log = process.communicate()
    assert answer["result"]["serverInfo"]["name"] == "astro"
    lines = log.decode().splitlines()
    return [line.split("|")[-1].strip() for line in lines if line.startswith("import time:") and "|" in line][1:]


def test_a_stdio_server_answers_initialize_without_loading_what_only_calls_need() -> None:
    imported = modules_imported_until_initialized()
    assert "astro_mcp.server.protocol" in imported  # the list below is read from the right log
    loaded = sorted(m for m in imported if m.startswith(NOT_AT_START))
    assert loaded == [], f"imported at start-up, before any call needs them: {loaded}"


def test_an_http_server_loads_what_a_call_needs_before_it_listens() -> None:
    """A long-lived server's first call should not wait for imports: they are done before the address is announced."""
    env = {**os.environ, "ASTRO_API_URL": "http://127.0.0.1:9/api/v1", "ASTRO_ACCESS_TOKEN": "startup-token-never-sent"}
    command = [sys.executable, "-X", "importtime", "-m", "astro_mcp", "--transport", "streamable-http", "--port", "0"]
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
    )
    assert process.stderr is not None
    imported: list[str] = []
    try:
        for raw in process.stderr:
            line = raw.decode()
            if "streamable-http on http://" in line:  # the announcement, made just before uvicorn listens
                break
            if line.startswith("import time:") and "|" in line:
                imported.append(line.split("|")[-1].strip())
        else:
            raise AssertionError("the server never announced its address")
    finally:
        process.kill()
        process.communicate()
    assert "astro_mcp.server.tools" in imported
    assert "astro_mcp.service" in imported
