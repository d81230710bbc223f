"""Tool schemas every MCP client can read: no `$ref` into `$defs`.

Some clients cannot resolve `#/$defs/...`, or strip `$defs` before the model sees the schema, and
validators walk an inline schema faster than one full of references. Nullable fields keep pydantic's
`anyOf` with a `null` branch: a `type` list is less portable (single-`type` dialects reject it).
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
