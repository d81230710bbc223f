"""OpenAI's strict mode, as openai-agents converts an MCP tool's schema for it (`convert_schemas_to_strict`).

Strict mode makes every argument required and closes every object; the API then refuses a schema with a
`default` other than null. A model in strict mode sends every argument, null where it has no value.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from agents.strict_schema import ensure_strict_json_schema
from jsonschema import Draft202012Validator

sys.path.insert(0, str(Path(__file__).parent.parent))
from harness import convert_main


def defaults(node: object) -> list[object]:
    """Every `default` keyword's value in a schema."""
    if isinstance(node, list):
        return [d for item in node for d in defaults(item)]
    if not isinstance(node, dict):
        return []
    own = [node["default"]] if "default" in node else []
    return own + [d for value in node.values() for d in defaults(value)]


def model_sees(tool: dict[str, Any]) -> dict[str, Any]:
    strict = ensure_strict_json_schema(dict(tool["inputSchema"]), _reject_open_objects=True)
    refused = [d for d in defaults(strict) if d is not None]
    if refused:
        raise ValueError(f"strict mode refuses a default other than null: {refused}")
    return strict


def convert(tool: dict[str, Any], arguments: dict[str, Any]) -> dict[str, Any]:
    strict = model_sees(tool)
    sent = dict.fromkeys(strict["properties"]) | arguments
    Draft202012Validator(strict).validate(sent)
    return sent


if __name__ == "__main__":
    convert_main(convert, model_sees)
