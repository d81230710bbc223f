"""`python -m bench.loadgen <port> <tool> <sessions>`: the clients of `bench load`, in a process of their own.

Reads the calls (a JSON list of argument objects) from stdin, waits until the server at 127.0.0.1:<port>
answers, spreads the calls over `sessions` clients, each making all of its calls at once, and prints one
JSON object: the wall time of the whole load, the CPU time this process spent on it, every call's latency,
and the calls that ended in an error.
Run apart from the server and the simulator, the clients' own work (the SDK client checks every result
against the tool's output schema) is not counted against either server. Its imports come before the load,
`jsonschema` included (the SDK client imports it on its first check of a result), as in a client that has been
running a while.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import anyio
import jsonschema  # noqa: F401  # imported by the SDK client on its first check of a result: here, before the load
from mcp import Client

from bench.common import timed


async def ready(url: str) -> None:
    with anyio.fail_after(60):
        while True:
            try:
                async with Client(url):
                    return
            except Exception:  # not listening yet
                await anyio.sleep(0.1)


async def run(port: int, tool: str, sessions: int, calls: list[dict[str, Any]]) -> dict[str, Any]:
    url = f"http://127.0.0.1:{port}/mcp"
    await ready(url)
    latencies: list[float] = []
    errors = 0

    async def session(mine: list[dict[str, Any]]) -> None:
        nonlocal errors
        answered = 0
        try:
            async with Client(url) as client:
                await client.list_tools()  # as a host does before its model calls a tool (the SDK client would
                # otherwise list the tools once for each of the session's first calls in flight, to check results)

                async def one(args: dict[str, Any]) -> None:
                    nonlocal errors, answered
                    took, result = await timed(client, tool, args)
                    latencies.append(took)
                    errors += bool(result.is_error)
                    answered += 1

                async with anyio.create_task_group() as tg:
                    for args in mine:
                        tg.start_soon(one, args)
        except Exception:  # a connection the server dropped ends the client: its unanswered calls count as errors
            errors += len(mine) - answered

    started, cpu = time.perf_counter(), time.process_time()
    async with anyio.create_task_group() as tg:
        for i in range(sessions):
            tg.start_soon(session, calls[i::sessions])
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"wall": wall, "cpu": cpu, "latencies": latencies, "errors": errors}


if __name__ == "__main__":
    port, tool, sessions = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    result = anyio.run(run, port, tool, sessions, json.load(sys.stdin))
    sys.stdout.write(json.dumps(result) + "\n")
