"""The official SDK 1.x, as many hosts still run it: a ClientSession over stdio or streamable HTTP."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamablehttp_client

sys.path.insert(0, str(Path(__file__).parent.parent))
from harness import Http, Seen, Target, main, text_of


@asynccontextmanager
async def session(target: Target) -> AsyncIterator[ClientSession]:
    if isinstance(target, Http):
        transport = streamablehttp_client(target.url)
    else:
        transport = stdio_client(StdioServerParameters(command=target.command, args=target.args, env=target.env))
    async with transport as (read, write, *_), ClientSession(read, write) as astro:
        await astro.initialize()
        yield astro


async def drive(target: Target, call: dict[str, Any], bad_call: dict[str, Any]) -> Seen:
    async with session(target) as astro:
        tools = [tool.name for tool in (await astro.list_tools()).tools]
        result = await astro.call_tool("get_agent_metrics", call)
        refused = await astro.call_tool("get_agent_metrics", bad_call)
    return Seen(tools, text_of(result.content), text_of(refused.content), refused.isError, result.structuredContent)


if __name__ == "__main__":
    main(drive)
