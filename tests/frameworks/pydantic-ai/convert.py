"""Gemini's conversion of our input schemas (google-genai, which pydantic-ai's Google models use).

`Schema.from_json_schema` turns a JSON Schema into the OpenAPI subset Gemini takes; its `JSONSchema` model
refuses any keyword it does not know (`examples`, `nullable`, ...). google-genai's own MCP path drops such
keywords first; a client that converts the schema as it is gets the refusal.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from google.genai import types

sys.path.insert(0, str(Path(__file__).parent.parent))
from harness import convert_main


def model_sees(tool: dict[str, Any]) -> dict[str, Any]:
    schema = types.JSONSchema.model_validate(tool["inputSchema"])
    gemini = types.Schema.from_json_schema(json_schema=schema, raise_error_on_unsupported_field=True)
    seen: dict[str, Any] = gemini.model_dump(mode="json", exclude_none=True)
    return seen


def convert(tool: dict[str, Any], arguments: dict[str, Any]) -> dict[str, Any]:
    """Gemini sends what its schema allows: arguments it leaves out, or null where an argument is nullable."""
    seen = model_sees(tool)
    for name, value in arguments.items():
        if value is None and not seen["properties"][name].get("nullable"):
            raise ValueError(f"{name} is not nullable for Gemini")
    return arguments


if __name__ == "__main__":
    convert_main(convert, model_sees)
