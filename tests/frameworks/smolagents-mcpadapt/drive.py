"""smolagents: a ToolCallingAgent with our tools from MCPClient (mcpadapt), and a scripted model that calls one.

smolagents is synchronous (MCPClient runs its own event loop in a thread), so the agent runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path
from typing import Any

from mcp import StdioServerParameters
from smolagents import ChatMessage, MCPClient, Model, Tool, ToolCallingAgent
from smolagents.models import ChatMessageToolCall, ChatMessageToolCallFunction, MessageRole, get_tool_json_schema

sys.path.insert(0, str(Path(__file__).parent.parent))
from harness import Http, Seen, Target, main


class CallsTheToolOnce(Model):
    """Stands in for the LLM: calls get_agent_metrics, keeps what it is handed back, then gives its final answer."""

    def __init__(self, arguments: dict[str, Any]) -> None:
        super().__init__(model_id="scripted")
        self.arguments = arguments
        self.handed: list[str] = []

    def generate(
        self, messages: list[ChatMessage], *args: Any, tools_to_call_from: list[Tool] | None = None, **kwargs: Any
    ) -> ChatMessage:
        responses = [m for m in messages if m.role == MessageRole.TOOL_RESPONSE]
        if not responses:
            # As an LLM follows the schema smolagents shows it: every argument it lists as required is sent,
            # null where the model has no value for it.
            (tool,) = [t for t in tools_to_call_from or [] if t.name == "get_agent_metrics"]
            required = get_tool_json_schema(tool)["function"]["parameters"]["required"]
            return self.call("get_agent_metrics", dict.fromkeys(required) | self.arguments)
        self.handed.append(text(responses[-1]))
        return self.call("final_answer", {"answer": "done"})

    @staticmethod
    def call(name: str, arguments: dict[str, Any]) -> ChatMessage:
        function = ChatMessageToolCallFunction(name=name, arguments=arguments)
        call = ChatMessageToolCall(function=function, id=f"call_{name}", type="function")
        return ChatMessage(role=MessageRole.ASSISTANT, content="", tool_calls=[call])


def text(message: ChatMessage) -> str:
    if isinstance(message.content, str):
        return message.content
    return "\n".join(str(part.get("text", "")) for part in message.content or [])


def client(target: Target) -> MCPClient:
    if isinstance(target, Http):
        return MCPClient({"url": target.url, "transport": "streamable-http"}, structured_output=False)
    stdio = StdioServerParameters(command=target.command, args=target.args, env=target.env)
    return MCPClient(stdio, structured_output=False)


def run(target: Target, call: dict[str, Any], bad_call: dict[str, Any]) -> Seen:
    # smolagents prints the run to stdout even at verbosity 0; stdout carries this driver's JSON.
    with contextlib.redirect_stdout(sys.stderr), client(target) as tools:
        handed = []
        for arguments in (call, bad_call):
            model = CallsTheToolOnce(arguments)
            ToolCallingAgent(tools=tools, model=model, max_steps=3, verbosity_level=0).run("How is support-bot doing?")
            (seen,) = model.handed
            handed.append(seen)
        ok, refused = handed
        # A tool that raises reaches the model as "Error: ..."; mcpadapt returns an isError result's text as is.
        return Seen([tool.name for tool in tools], ok, refused, error_flagged=refused.startswith("Error"))


async def drive(target: Target, call: dict[str, Any], bad_call: dict[str, Any]) -> Seen:
    return await asyncio.to_thread(run, target, call, bad_call)


if __name__ == "__main__":
    main(drive)
