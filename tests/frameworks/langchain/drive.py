"""langchain-mcp-adapters: our tools as LangChain tools, invoked with a tool call as an agent's tool node does."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool
from langchain_mcp_adapters.client import MultiServerMCPClient
from langchain_mcp_adapters.sessions import Connection

sys.path.insert(0, str(Path(__file__).parent.parent))
from harness import Http, Seen, Target, main


def connection(target: Target) -> Connection:
    if isinstance(target, Http):
        return {"transport": "streamable_http", "url": target.url}
    return {"transport": "stdio", "command": target.command, "args": target.args, "env": target.env}


async def tool_message(tool: BaseTool, arguments: dict[str, Any]) -> ToolMessage:
    """Invoke the tool with a model's tool call: the ToolMessage is what goes back to the model."""
    message = await tool.ainvoke({"type": "tool_call", "id": "call_1", "name": tool.name, "args": arguments})
    assert isinstance(message, ToolMessage)
    return message


def content(message: ToolMessage) -> str:
    body = message.content
    return body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)


async def drive(target: Target, call: dict[str, Any], bad_call: dict[str, Any]) -> Seen:
    client = MultiServerMCPClient({"astro": connection(target)})
    tools = await client.get_tools()
    (metrics,) = [tool for tool in tools if tool.name == "get_agent_metrics"]
    ok = await tool_message(metrics, call)
    refused = await tool_message(metrics, bad_call)
    structured = ok.artifact["structured_content"] if ok.artifact else None
    return Seen([tool.name for tool in tools], content(ok), content(refused), refused.status == "error", structured)


if __name__ == "__main__":
    main(drive)
