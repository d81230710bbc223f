"""Tool schemas every MCP client can read, small enough to ride along with every request a host sends a model.

No `$ref` into `$defs`: some clients cannot resolve `#/$defs/...`, or strip `$defs` before the model sees
the schema, and validators walk an inline schema faster than one full of references. Input schemas are
as `server.args` writes them. Output schemas (`compact_output`) are for the clients that check or type
the structured content, not for models (no host puts them in a model's context as they are): they keep
every field's type and which fields are required, and leave out what only a person reads (titles,
descriptions, defaults: the tool's description and the text answer say what the fields mean).
"""

from __future__ import annotations

from typing import Any

_NOT_FOR_CLIENTS = ("title", "description", "default")

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


def compact_output(schema: dict[str, Any], depth: int | None = None) -> dict[str, Any]:
    """`schema` self-contained, without titles, descriptions or defaults, a nullable field as a `type` list.

    With `depth`, objects are described that many levels down (an array's items are at its own level);
    deeper ones say only that they are objects, so the schema still accepts every answer.
    """

    def walk(node: Any, levels: int | None) -> Any:
        if not isinstance(node, dict):
            return node
        node = {k: v for k, v in node.items() if k not in _NOT_FOR_CLIENTS}  # a node's keys are keywords
        if "anyOf" in node:
            branches = [walk(b, levels) for b in node["anyOf"]]
            simple = [b for b in branches if set(b) == {"type"} and isinstance(b["type"], str)]
            if len(simple) == len(branches):  # X | null (or other plain types): one `type` list
                rest = {k: v for k, v in node.items() if k != "anyOf"}
                return {**rest, "type": [b["type"] for b in simple]}
            return {**node, "anyOf": branches}
        if isinstance(node.get("items"), dict):
            node = {**node, "items": walk(node["items"], levels)}
        if "properties" in node:
            if levels == 0:
                return {"type": node.get("type", "object")}
            deeper = None if levels is None else levels - 1
            node = {**node, "properties": {name: walk(s, deeper) for name, s in node["properties"].items()}}
        return node

    result: dict[str, Any] = walk(self_contained(schema), depth)
    return result
