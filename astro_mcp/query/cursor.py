"""Paging cursors: opaque to a model, checked when they come back.

A cursor says where the next page starts and what it is a page of (the list's scope: the account and,
for an overview, the exact window), so that the next page answers the same question even when the
model's own words ("now-24h") would now mean another window. It is base64url of a small JSON object;
nothing in it is secret, and nothing in it is trusted without a check.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from astro_mcp.errors import QueryError

_MAX_CHARS = 512


@dataclass(frozen=True)
class Page:
    """The page a call asks for: where it starts, and what the list is of (what its cursors will carry)."""

    offset: int
    scope: dict[str, str]

    def next_cursor(self, shown: int, total: int) -> str | None:
        """The cursor of the page after this one when it shows `shown` rows; None after the last row."""
        end = self.offset + shown
        return Cursor(self.scope, end).encode() if end < total else None


@dataclass(frozen=True)
class Cursor:
    """Where a page starts in a list, and the scope of that list (`scope[key]` as the list's first page set it)."""

    scope: dict[str, str]
    offset: int

    def encode(self) -> str:
        raw = json.dumps({"s": self.scope, "o": self.offset}, separators=(",", ":"), sort_keys=True)
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str, tool: str) -> Cursor:
    """The cursor an earlier answer of `tool` gave; raises `QueryError` for anything else."""
    refused = QueryError(
        f"cursor={cursor[:40]!r} is not a cursor {tool} gave: pass next_cursor from its last answer unchanged, "
        "or call again without cursor for the first page."
    )
    if len(cursor) > _MAX_CHARS:
        raise refused
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise refused from None
    scope, offset = (data.get("s"), data.get("o")) if isinstance(data, dict) else (None, None)
    if not isinstance(scope, dict) or not all(isinstance(v, str) for v in scope.values()):
        raise refused
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise refused
    return Cursor({str(k): str(v) for k, v in scope.items()}, offset)


def same_scope(cursor: Cursor, key: str, value: str, tool: str) -> None:
    """A cursor is read only with the arguments it was made for; raises `QueryError` naming the mismatch."""
    given = cursor.scope.get(key)
    if given != value:
        raise QueryError(
            f"This cursor pages {tool}'s answer for {key}={given!r}, not {key}={value!r}: call again with "
            f"{key}={given!r}, or without cursor for the first page of {value!r}."
        )
