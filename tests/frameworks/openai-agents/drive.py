"""openai-agents: an Agent with our server as an MCP server, and a scripted model that calls the tool once."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from agents import Agent, Model, ModelResponse, RunConfig, Runner, TResponseInputItem, Usage
from agents.mcp import MCPServer, MCPServerStdio, MCPServerStdioParams, MCPServerStreamableHttp
from openai.types.responses import ResponseFunctionToolCall, ResponseOutputMessage, ResponseOutputText

sys.path.insert(0, str(Path(__file__).parent.parent))
from harness import Http, Seen, Target, main


class CallsTheToolOnce(Model):
    """Stands in for the LLM: asks for get_agent_metrics, then keeps the tool output it is handed."""

    def __init__(self, arguments: dict[str, Any]) -> None:
        self.arguments = arguments
        self.handed: list[object] = []

    async def get_response(
        self, system_instructions: str | None, input: str | list[TResponseInputItem], *args: Any, **kwargs: Any
    ) -> ModelResponse:
        items = [] if isinstance(input, str) else [dict(item) for item in input]
        outputs = [item["output"] for item in items if item.get("type") == "function_call_output"]
        if not outputs:
            call = ResponseFunctionToolCall(
                type="function_call", call_id="call_1", name="get_agent_metrics", arguments=json.dumps(self.arguments)
            )
            return ModelResponse(output=[call], usage=Usage(), response_id=None)
        self.handed.extend(outputs)
        text = ResponseOutputText(type="output_text", text="done", annotations=[])
        message = ResponseOutputMessage(type="message", id="m", role="assistant", status="completed", content=[text])
        return ModelResponse(output=[message], usage=Usage(), response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        raise NotImplementedError("Runner.run does not stream")


# The SDK waits 5 s for an MCP answer by default; the server may take up to its call budget (25 s).
TIMEOUT = 30


def server(target: Target) -> MCPServerStdio | MCPServerStreamableHttp:
    if isinstance(target, Http):
        return MCPServerStreamableHttp({"url": target.url}, name="astro", client_session_timeout_seconds=TIMEOUT)
    stdio: MCPServerStdioParams = {"command": target.command, "args": target.args, "env": target.env}
    return MCPServerStdio(stdio, name="astro", client_session_timeout_seconds=TIMEOUT)


async def tool_output(astro: MCPServer, arguments: dict[str, Any]) -> str:
    """Run an agent whose model asks for get_agent_metrics once; return the tool output the model is handed."""
    model = CallsTheToolOnce(arguments)
    agent = Agent(name="assistant", model=model, mcp_servers=[astro])
    await Runner.run(agent, "How is support-bot doing?", run_config=RunConfig(tracing_disabled=True))
    (output,) = model.handed
    return output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)


async def drive(target: Target, call: dict[str, Any], bad_call: dict[str, Any]) -> Seen:
    async with server(target) as astro:
        tools = [tool.name for tool in await astro.list_tools()]
        ok = await tool_output(astro, call)
        refused = await tool_output(astro, bad_call)
    # The Responses API has no error flag on a function_call_output: only the text can say so.
    return Seen(tools, ok, refused, error_flagged=False)


if __name__ == "__main__":
    main(drive)
