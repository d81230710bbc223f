"""What every benchmark shares: the `initialize` request, output as markdown, and timing helpers."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mcp import Client
from mcp.types import CallToolResult, TextContent

from astro_mcp.sim.app import DEMO_TOKEN

HERE = Path(__file__).parent
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}},
}


def out(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def env_for(url: str, **extra: str) -> dict[str, str]:
    return {"ASTRO_API_URL": url, "ASTRO_ACCESS_TOKEN": DEMO_TOKEN, "ASTRO_MCP_LOG_LEVEL": "WARNING", **extra}


def result_chars(result: CallToolResult) -> int:
    text = sum(len(c.text) for c in result.content if isinstance(c, TextContent))
    structured = len(json.dumps(result.structured_content)) if result.structured_content is not None else 0
    return text + structured


async def timed(client: Client, tool: str, args: dict[str, Any]) -> tuple[float, CallToolResult]:
    started = time.perf_counter()
    result = await client.call_tool(tool, args)
    return time.perf_counter() - started, result
