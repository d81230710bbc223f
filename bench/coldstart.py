"""`python -m bench coldstart`: spawn to the `initialize` answer over stdio, against a bare MCPServer."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import HERE, INIT, env_for, ms, out


def spawn_to_initialize(command: list[str], env: dict[str, str], cwd: Path | None = None) -> float:
    # Both servers as installed: their modules read from the bytecode cache (a wheel install compiles
    # them), even where PYTHONDONTWRITEBYTECODE would have every start compile them again.
    cached = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**cached, **env},
        cwd=cwd,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write((json.dumps(INIT) + "\n").encode())
    process.stdin.flush()
    process.stdout.readline()
    elapsed = time.perf_counter() - started
    process.kill()
    process.wait()
    return elapsed


def coldstart(url: str, runs: int = 21) -> None:
    ours: list[float] = []
    floor: list[float] = []
    for _ in range(runs + 1):  # interleaved, so both see the same machine; the first writes the caches
        ours.append(spawn_to_initialize([sys.executable, "-m", "astro_mcp"], env_for(url)))
        floor.append(spawn_to_initialize([sys.executable, str(HERE / "floor_server.py")], {}))
    ours, floor = ours[1:], floor[1:]
    o, f = statistics.median(ours), statistics.median(floor)
    out(f"## Cold start: spawn to the `initialize` answer over stdio ({runs} runs each, interleaved)")
    out("| server | median | min | ratio to floor |")
    out("| --- | ---: | ---: | ---: |")
    out(f"| bare MCPServer, one trivial tool (floor) | {ms(f)} | {ms(min(floor))} | 1.00 |")
    out(f"| astro-mcp | {ms(o)} | {ms(min(ours))} | {o / f:.2f} |")
    out()
