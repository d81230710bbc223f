"""`uv run python -m bench.coldstart_against <checkout> [runs]`: this cold start against an earlier one.

`<checkout>` is another working tree of astro-mcp (e.g. `git worktree add /tmp/before <commit>`). Its
server runs on this environment's Python and dependencies, so only our code differs; the bare floor
server, the earlier server and this one are started in turn, `runs` times each (default 60: a start
varies by tens of milliseconds on a shared machine), and the medians are compared.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

from bench.coldstart import spawn_to_initialize
from bench.common import HERE, ms, out

# Never dialled: the servers answer `initialize` without the API.
_ENV = {"ASTRO_API_URL": "http://127.0.0.1:9/api/v1", "ASTRO_ACCESS_TOKEN": "bench-token-never-sent-anywhere"}


def main(checkout: Path, runs: int) -> None:
    servers = {
        "bare MCPServer, one trivial tool (floor)": ([sys.executable, str(HERE / "floor_server.py")], {}, HERE),
        f"astro-mcp at {checkout}": (
            [sys.executable, "-m", "astro_mcp"],
            {**_ENV, "PYTHONPATH": str(checkout)},
            checkout,
        ),
        "astro-mcp, this tree": (
            [sys.executable, "-m", "astro_mcp"],
            {**_ENV, "PYTHONPATH": str(HERE.parent)},
            HERE.parent,
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in servers}
    for _ in range(runs + 1):  # the first round writes the bytecode caches
        for name, (command, env, cwd) in servers.items():  # `-m` looks in the working directory first
            times[name].append(spawn_to_initialize(command, env, cwd))
    floor = statistics.median(times[next(iter(servers))][1:])
    out(f"## Cold start against {checkout}: spawn to `initialize` over stdio ({runs} runs each, interleaved)")
    out("| server | median | ratio to floor |")
    out("| --- | ---: | ---: |")
    for name, seen in times.items():
        median = statistics.median(seen[1:])
        out(f"| {name} | {ms(median)} | {median / floor:.3f} |")
    out()


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3) or not (Path(sys.argv[1]) / "astro_mcp").is_dir():
        sys.exit("usage: python -m bench.coldstart_against <another astro-mcp checkout> [runs]")
    main(Path(sys.argv[1]).resolve(), int(sys.argv[2]) if len(sys.argv) == 3 else 60)
