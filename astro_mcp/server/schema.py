"""Tool schemas every MCP client can read: no `$ref` into `$defs`; input schemas as `server.args` writes them.

Some clients cannot resolve `#/$defs/...`, or strip `$defs` before the model sees the schema, and
validators walk an inline schema faster than one full of references. Output schemas keep pydantic's
`anyOf` with a `null` branch for nullable fields.
"""

from __future__ import annotations

from typing import Any

_DEFS = "#/$defs/"


def self_contained(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with every local `$ref` replaced by the definition it names (sibling keywords win).

    For schemas without recursion (a recursive model has no finite inline form).
    """
    defs: dict[str, Any] = schema.get("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_DEFS):
            node = {**defs[ref.removeprefix(_DEFS)], **{k: v for k, v in node.items() if k != "$ref"}}
        return {k: walk(v) for k, v in node.items() if k != "$defs"}

    result: dict[str, Any] = walk(schema)
    return result


def portable_input(schema: dict[str, Any]) -> dict[str, Any]:
    """A tool's input schema without what pydantic adds to each argument's published schema (see `server.args`):
    `title`s, which no model reads, and `default`s, which OpenAI's strict mode refuses (the descriptions
    say them, and null means them)."""
    properties = {
        name: {k: v for k, v in spec.items() if k not in ("title", "default")}
        for name, spec in schema.get("properties", {}).items()
    }
    return {"type": "object", "properties": properties, "required": schema.get("required", [])}
