"""Decoding an upstream body within bounds of memory and time, off the event loop.

Thirty megabytes of tiny JSON objects become tens of millions of Python objects: gigabytes, and tens of
seconds of a parser that holds the event loop. Here a body is first sized up by counting its brackets and
commas (a C scan of the bytes, which bounds how many values it can hold). A body small on both counts is
decoded by pydantic's own parser; any other by `_Decoder`, which counts every value it reads, keeps at most
`max_items` items of the one list a route carries, cuts long strings as it goes, and gives up past a fixed
number of values. Either runs in a worker thread, two at most at a time.
"""

from __future__ import annotations

import json.decoder
import re
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
from pydantic import BaseModel

from astro_mcp.errors import InvalidResponseError

M = TypeVar("M", bound=BaseModel)

INLINE_BYTES = 64 * 1024  # a body this small is decoded on the loop: a thread would cost more than it saves
_FAST_BYTES = 8 << 20
_FAST_CONTAINERS = 100_000  # what pydantic's parser may build at once: some 50 MB of models at most
_FAST_COMMAS = 400_000
MAX_VALUES = 1_000_000  # read by `_Decoder`, kept or not: a second or two of work
MAX_KEPT = 400_000  # kept by `_Decoder`: some 100 MB at most
MAX_DEPTH = 64
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_WS = re.compile(r"[ \t\n\r]*")
_SPACE = " \t\n\r"
_slots: anyio.CapacityLimiter | None = None


@dataclass(frozen=True)
class Shape:
    """How a route's body is bounded: its size, and the list of items it carries (how many are kept)."""

    max_bytes: int | None = None  # None: ASTRO_MCP_MAX_RESPONSE_MB
    items: str | None = None
    max_items: int = 100_000
    max_chars: int = 200_000  # of any one string


class TooComplexError(InvalidResponseError):
    """The body holds more values, or deeper nesting, than any real answer would."""


class _Enough(Exception):  # noqa: N818 - not an error: the route's list is full, the rest is not read
    def __init__(self, items: list[Any]) -> None:
        self.items = items


async def decode(body: bytes | bytearray, model: type[M], shape: Shape) -> M:
    """`body` as `model`, within the bounds above. Raises: InvalidResponseError (subclasses included);
    pydantic's ValidationError when it is JSON that breaks the model."""
    if len(body) <= INLINE_BYTES:
        return _decode(body, model, shape)
    global _slots
    if _slots is None:
        _slots = anyio.CapacityLimiter(2)  # two large bodies in memory at once at most
    return await anyio.to_thread.run_sync(_decode, body, model, shape, limiter=_slots)


def _decode(body: bytes | bytearray, model: type[M], shape: Shape) -> M:
    containers = body.count(b"{") + body.count(b"[")
    if len(body) <= _FAST_BYTES and containers <= _FAST_CONTAINERS and body.count(b",") <= _FAST_COMMAS:
        return _cut(model.model_validate_json(body), shape)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidResponseError("the Astro API answered with a body that is not UTF-8 JSON") from None
    return model.model_validate(_Decoder(text, shape).document())


def _cut(parsed: M, shape: Shape) -> M:
    items = getattr(parsed, shape.items, None) if shape.items else None
    if shape.items and isinstance(items, list) and len(items) > shape.max_items:
        return parsed.model_copy(update={shape.items: items[: shape.max_items]})
    return parsed


class _Decoder:
    """A JSON parser for one document that counts what it reads; C does the strings and the numbers' scan."""

    def __init__(self, text: str, shape: Shape) -> None:
        self.text = text
        self.shape = shape
        self.read = 0
        self.kept = 0
        self.full = False  # the route's list reached `max_items`, and reading stopped there

    def document(self) -> Any:
        value, end = self.value(self._skip(0), 0, keep=True)
        if not self.full and self._skip(end) != len(self.text):
            raise _invalid()
        return value

    def _skip(self, i: int) -> int:
        if i < len(self.text) and self.text[i] in _SPACE:
            return _WS.match(self.text, i).end()  # type: ignore[union-attr]  # `*` always matches
        return i

    def value(self, i: int, depth: int, *, keep: bool, cap: int | None = None) -> tuple[Any, int]:
        self.read += 1
        self.kept += keep
        if self.read > MAX_VALUES or self.kept > MAX_KEPT or depth > MAX_DEPTH:
            raise TooComplexError(
                f"the Astro API's answer holds more than {MAX_KEPT:,} values, or is nested more than {MAX_DEPTH} "
                "deep: far more than any real answer, so it was not read"
            )
        c = self.text[i : i + 1]
        if c == '"':
            s, end = _string(self.text, i)
            return (s[: self.shape.max_chars] if keep else None), end
        if c == "{":
            return self._object(i + 1, depth + 1, keep)
        if c == "[":
            return self._array(i + 1, depth + 1, keep, cap)
        for word, meaning in (("null", None), ("true", True), ("false", False)):
            if self.text.startswith(word, i):
                return meaning, i + len(word)
        m = _NUMBER.match(self.text, i)
        if m is None:
            raise _invalid()
        try:
            number: float = float(m.group()) if m.group(1) or m.group(2) else int(m.group())
        except ValueError:  # an integer of more than 4300 digits
            raise _invalid() from None
        return number, m.end()

    def _object(self, i: int, depth: int, keep: bool) -> tuple[Any, int]:
        found: dict[str, Any] = {}
        i = self._skip(i)
        if self.text[i : i + 1] == "}":
            return found, i + 1
        while True:
            if self.text[i : i + 1] != '"':
                raise _invalid()
            key, i = _string(self.text, i)
            i = self._skip(i)
            if self.text[i : i + 1] != ":":
                raise _invalid()
            cap = self.shape.max_items if depth == 1 and key == self.shape.items else None
            try:
                value, i = self.value(self._skip(i + 1), depth, keep=keep, cap=cap)
            except _Enough as enough:  # what follows the list is not read: an answer that long breaks its contract
                self.full = True
                found[key] = enough.items
                return found, len(self.text)
            if keep:
                found[key] = value
            i = self._skip(i)
            c = self.text[i : i + 1]
            if c == "}":
                return found, i + 1
            if c != ",":
                raise _invalid()
            i = self._skip(i + 1)

    def _array(self, i: int, depth: int, keep: bool, cap: int | None) -> tuple[Any, int]:
        found: list[Any] = []
        i = self._skip(i)
        if self.text[i : i + 1] == "]":
            return found, i + 1
        while True:
            if cap is not None and len(found) >= cap:
                raise _Enough(found)
            value, i = self.value(i, depth, keep=keep)
            if keep:
                found.append(value)
            i = self._skip(i)
            c = self.text[i : i + 1]
            if c == "]":
                return found, i + 1
            if c != ",":
                raise _invalid()
            i = self._skip(i + 1)


def _string(text: str, i: int) -> tuple[str, int]:
    try:
        found: tuple[str, int] = json.decoder.scanstring(text, i + 1, True)  # type: ignore[attr-defined]
        return found
    except ValueError:
        raise _invalid() from None


def _invalid() -> InvalidResponseError:
    return InvalidResponseError("the Astro API answered 200 with a body that is not valid JSON")
