"""pydantic-ai: an Agent with our server as an MCPToolset, and a FunctionModel that calls the tool once."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from fastmcp.client.transports import StdioTransport
from pydantic_ai import Agent
from pydantic_ai.mcp import MCPToolset
from pydantic_ai.messages import ERROR_OUTCOMES, ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

sys.path.insert(0, str(Path(__file__).parent.parent))
from harness import Http, Seen, Target, main


def toolset(target: Target) -> MCPToolset[None]:
    if isinstance(target, Http):
        return MCPToolset(target.url)
    return MCPToolset(StdioTransport(target.command, target.args, env=target.env))


async def tool_return(astro: MCPToolset[None], arguments: dict[str, Any]) -> ToolReturnPart:
    """Run an agent whose model asks for get_agent_metrics once; return the part the model is handed back."""
    handed: list[ToolReturnPart] = []

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if len(messages) == 1:
            return ModelResponse(parts=[ToolCallPart("get_agent_metrics", arguments)])
        handed.extend(p for p in messages[-1].parts if isinstance(p, ToolReturnPart))
        return ModelResponse(parts=[TextPart("done")])

    await Agent(FunctionModel(model), toolsets=[astro]).run("How is support-bot doing?")
    (part,) = handed
    return part


async def drive(target: Target, call: dict[str, Any], bad_call: dict[str, Any]) -> Seen:
    astro = toolset(target)
    async with astro:
        tools = [tool.name for tool in await astro.list_tools()]
        ok = await tool_return(astro, call)
        refused = await tool_return(astro, bad_call)
    return Seen(tools, ok.model_response_str(), refused.model_response_str(), refused.outcome in ERROR_OUTCOMES)


if __name__ == "__main__":
    main(drive)
