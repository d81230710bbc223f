"""Tool schemas every MCP client can read: no `$ref` into `$defs`, and `null` as a type, not an `anyOf`.

Some clients cannot resolve `#/$defs/...` (or strip `$defs` before the model sees the schema), and
validators walk an inline schema faster than one full of references and alternatives. The rewrite
keeps the meaning: `{"anyOf": [X, {"type": "null"}]}` accepts exactly what X with
`"type": [X's type, "null"]` accepts, because X's other keywords only constrain values of its type.
"""

from __future__ import annotations

from typing import Any

_DEFS = "#/$defs/"


def self_contained(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with every local `$ref` inlined and each nullable `anyOf` folded into a type list.

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
        node = {k: walk(v) for k, v in node.items() if k != "$defs"}
        match node.get("anyOf"):
            case [{"type": str() as kind} as other, {"type": "null"}] | [
                {"type": "null"},
                {"type": str() as kind} as other,
            ]:
                rest = {k: v for k, v in node.items() if k != "anyOf"}
                return {**other, **rest, "type": [kind, "null"]}
        return node

    result: dict[str, Any] = walk(schema)
    return result
