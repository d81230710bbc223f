"""smolagents' conversion of our input schemas (mcpadapt), and its ToolCallingAgent's check of a model's call.

mcpadapt copies each argument's schema into the tool's `inputs` (an argument without a `type` becomes a
string); smolagents shows the model every argument that is not `nullable` as required, and refuses a call
that leaves one out or sends a JSON type other than the published one.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import mcp
from mcpadapt.smolagents_adapter import SmolAgentsAdapter
from smolagents import Tool
from smolagents.models import get_tool_json_schema
from smolagents.tools import validate_tool_arguments

sys.path.insert(0, str(Path(__file__).parent.parent))
from harness import convert_main


def adapted(tool: dict[str, Any]) -> Tool:
    return SmolAgentsAdapter().adapt(lambda _: mcp.types.CallToolResult(content=[]), mcp.types.Tool(**tool))


def model_sees(tool: dict[str, Any]) -> dict[str, Any]:
    parameters: dict[str, Any] = get_tool_json_schema(adapted(tool))["function"]["parameters"]
    return parameters


def convert(tool: dict[str, Any], arguments: dict[str, Any]) -> dict[str, Any]:
    """What a model that follows the schema it is shown sends: null for every required argument it has no value for."""
    sent = dict.fromkeys(model_sees(tool)["required"]) | arguments
    validate_tool_arguments(adapted(tool), sent)
    return sent


if __name__ == "__main__":
    convert_main(convert, model_sees)
