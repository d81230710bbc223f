"""`uv run python -m bench.suite [runs] [pytest arguments]`: the test suite's wall time, CPU and time in the cycle
collector, `runs` times (default 3), with medians.

The same file is the pytest plugin that reports each worker's figures (`-p bench.suite`). The machine's speed is
measured before each run too (a fixed loop of ten million additions), since on a shared host the same suite can
take a third longer from one run to the next.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_OUT = "ASTRO_BENCH_SUITE_DIR"
_collecting: dict[str, float] = {"seconds": 0.0, "started": 0.0, "full": 0.0}


def _timed(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _collecting["started"] = time.perf_counter()
        return
    took = time.perf_counter() - _collecting["started"]
    _collecting["seconds"] += took
    if info["generation"] == 2:
        _collecting["full"] += took


def pytest_configure() -> None:
    if os.environ.get(_OUT):
        gc.callbacks.append(_timed)


def pytest_unconfigure() -> None:
    where = os.environ.get(_OUT)
    if where:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        name = os.environ.get("PYTEST_XDIST_WORKER", "controller")
        figures = {"cpu": usage.ru_utime + usage.ru_stime, "gc": _collecting["seconds"], "gc_full": _collecting["full"]}
        Path(where, f"{name}.json").write_text(json.dumps(figures))


def _machine() -> float:
    started = time.process_time()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.process_time() - started


def _run(arguments: list[str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as where:
        machine = _machine()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "bench.suite", *arguments],
            env={**os.environ, _OUT: where},
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            sys.exit(f"the suite failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
        workers = [json.loads(p.read_text()) for p in Path(where).glob("gw*.json")]
    return {
        "machine": machine,
        "wall": wall,
        "cpu": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
        "workers_cpu": sum(w["cpu"] for w in workers),
        "gc": sum(w["gc"] for w in workers),
        "gc_full": sum(w["gc_full"] for w in workers),
    }


def main(argv: list[str]) -> None:
    runs = int(argv[0]) if argv and argv[0].isdigit() else 3
    arguments = argv[1:] if argv and argv[0].isdigit() else argv
    columns = ("machine", "wall", "cpu", "workers_cpu", "gc", "gc_full")
    print(f"`pytest {' '.join(arguments)}`, {runs} runs, {os.cpu_count()} CPUs; seconds")
    print("run  " + "  ".join(f"{c:>11}" for c in columns))
    results = []
    for i in range(runs):
        result = _run(arguments)
        results.append(result)
        print(f"{i + 1:<4} " + "  ".join(f"{result[c]:11.2f}" for c in columns), flush=True)
    print("med  " + "  ".join(f"{statistics.median(r[c] for r in results):11.2f}" for c in columns))
    print("machine: a fixed loop's CPU seconds before each run; cpu: every process of the run; gc: the workers'")
    print("time in the cycle collector (gc_full: in full collections)")


if __name__ == "__main__":
    main(sys.argv[1:])
