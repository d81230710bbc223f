"""The one answer contract: a use case's result becomes a text and a structured content, bounded together.

A `Rendering` says, for one tool family, which model the structured content follows (the tool's output
schema), how to write it as text, and which smaller versions of it to try, richest first, when the whole
answer is over `BOUND`. `fitted` is the one fitter every tool goes through.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from astro_mcp.redaction import for_model_all, secrets_known

BOUND = 12_000  # characters of text and structured content together: what one answer may cost a model's context

R = TypeVar("R")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Answer:
    """What a tool hands back: the text a model reads, and the structured content (following the model)."""

    text: str
    structured: dict[str, Any]

    @property
    def size(self) -> int:
        """Characters of the whole answer, as a client receives it."""
        return len(self.text) + len(json.dumps(self.structured, separators=(",", ":")))


def whole(result: M) -> Iterator[M]:
    """The only version of a result that needs no shrinking (its text and content are bounded by design)."""
    yield result


@dataclass(frozen=True)
class Rendering(Generic[R, M]):
    """How one tool family's result `R` is answered: as versions of the output model `M`, each with its text."""

    model: type[M]
    text: Callable[[M], str]
    versions: Callable[[R], Iterator[M]]

    def answer(self, version: M) -> Answer:
        """The answer of one version, every string in it made inert first (`for_model`): the one place where
        text from the API and its users meets the model, in the text and the structured content alike."""
        inert = for_model_all(version)
        return Answer(self.text(inert), inert.model_dump(mode="json"))


class _Answered:
    """The last answers made, by result object: a cached use-case result asked for again (the same object, as
    the use cases' caches hand it out) is answered without being rendered again. An entry holds its result, so
    the object's id is not reused while it is here, and the secrets known when it was made: a secret learnt
    since (a refreshed token) makes it stale."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[int, int], tuple[object, int, Answer]] = OrderedDict()

    def get(self, rendering: object, result: object) -> Answer | None:
        entry = self._entries.get((id(rendering), id(result)))
        if entry is None or entry[0] is not result or entry[1] != secrets_known():
            return None
        return entry[2]

    def put(self, rendering: object, result: object, answer: Answer) -> None:
        self._entries[(id(rendering), id(result))] = (result, secrets_known(), answer)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)


_answered = _Answered(64)


def fitted(rendering: Rendering[R, M], result: R) -> Answer:
    """The answer of `result` (`fitting`), or the one made for this very result object a moment ago."""
    answer = _answered.get(rendering, result)
    if answer is None:
        answer = fitting(rendering, result)
        _answered.put(rendering, result, answer)
    return answer


def fitting(rendering: Rendering[R, M], result: R) -> Answer:
    """The richest version of `result` whose answer fits `BOUND`; the smallest one if none does.

    A version whose structured content alone, as it is before `for_model`, is over the bound is passed over
    unanswered: making it inert escapes characters (longer) and cuts strings of over 12,000 characters
    (still over); only a masked secret, which no answer should hold, could shorten it. Of a page of 3,000
    agents, or of 500 rows of an overview, the first versions tried are all of that kind, and answering each
    cost as much as the rest of the call; checking one that fits costs a tenth of answering it.
    """
    answer: Answer | None = None
    version: M | None = None
    for version in rendering.versions(result):
        too_long = len(version.model_dump_json()) > BOUND
        answer = None if too_long else rendering.answer(version)
        if answer is not None and answer.size <= BOUND:
            return answer
    assert version is not None, "a rendering gives at least one version of its result"
    return answer if answer is not None else rendering.answer(version)
