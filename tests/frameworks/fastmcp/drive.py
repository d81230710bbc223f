"""fastmcp: its Client, which hands back the text, the structured content, and a typed object (`.data`)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

from fastmcp import Client
from fastmcp.client.transports import StdioTransport
from fastmcp.exceptions import ToolError

sys.path.insert(0, str(Path(__file__).parent.parent))
from harness import Http, Seen, Target, main, text_of


def client(target: Target) -> Client[Any]:
    if isinstance(target, Http):
        return Client(target.url)
    return Client(StdioTransport(target.command, target.args, env=target.env))


async def drive(target: Target, call: dict[str, Any], bad_call: dict[str, Any]) -> Seen:
    async with client(target) as astro:
        tools = [tool.name for tool in await astro.list_tools()]
        result = await astro.call_tool("get_agent_metrics", call)
        try:
            await astro.call_tool("get_agent_metrics", bad_call)
        except ToolError as err:
            refused = str(err)
        else:
            refused = ""
    # .data is a dataclass that fastmcp builds from our outputSchema.
    data = dataclasses.asdict(result.data)
    return Seen(tools, text_of(result.content), refused, error_flagged=bool(refused), structured=data)


if __name__ == "__main__":
    main(drive)
