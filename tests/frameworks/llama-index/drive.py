"""llama-index: our tools as FunctionTools from McpToolSpec, called as an agent's tool step calls them.

An agent hands the model `str(tool_output)`, which is the ToolOutput's content, and flags an error with
`tool_output.is_error`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from llama_index.core.tools import FunctionTool, ToolOutput
from llama_index.tools.mcp import BasicMCPClient, McpToolSpec

sys.path.insert(0, str(Path(__file__).parent.parent))
from harness import Http, Seen, Target, main


def client(target: Target) -> BasicMCPClient:
    if isinstance(target, Http):
        return BasicMCPClient(target.url)
    return BasicMCPClient(target.command, args=target.args, env=target.env)


async def drive(target: Target, call: dict[str, Any], bad_call: dict[str, Any]) -> Seen:
    tools: list[FunctionTool] = await McpToolSpec(client(target)).to_tool_list_async()
    (metrics,) = [tool for tool in tools if tool.metadata.name == "get_agent_metrics"]
    ok: ToolOutput = await metrics.acall(**call)
    refused: ToolOutput = await metrics.acall(**bad_call)
    return Seen([str(tool.metadata.name) for tool in tools], str(ok), str(refused), refused.is_error)


if __name__ == "__main__":
    main(drive)
