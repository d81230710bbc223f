"""llama-index's conversion of our input schemas: McpToolSpec makes a pydantic model of each, and the model
sees that model's JSON schema (pydantic's, rebuilt: `pattern` and other keywords do not survive)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from llama_index.tools.mcp import BasicMCPClient, McpToolSpec
from pydantic import BaseModel

sys.path.insert(0, str(Path(__file__).parent.parent))
from harness import convert_main


def model(tool: dict[str, Any]) -> type[BaseModel]:
    offline = BasicMCPClient("http://127.0.0.1:9/mcp")  # never connected: the conversion needs no server
    made: type[BaseModel] = McpToolSpec(offline).create_model_from_json_schema(
        tool["inputSchema"], model_name=f"{tool['name']}_Schema"
    )
    return made


def model_sees(tool: dict[str, Any]) -> dict[str, Any]:
    return model(tool).model_json_schema()


def convert(tool: dict[str, Any], arguments: dict[str, Any]) -> dict[str, Any]:
    """The call checked against the tool's model (as a structured-output LLM's would be); FunctionTool passes it on."""
    model(tool).model_validate(arguments)
    return arguments


if __name__ == "__main__":
    convert_main(convert, model_sees)
