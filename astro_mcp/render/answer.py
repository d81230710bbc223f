"""The one answer contract: a use case's result becomes a text and a structured content, bounded together.

A `Rendering` says, for one tool family, which model the structured content follows (the tool's output
schema), how to write it as text, and which smaller versions of it to try, richest first, when the whole
answer is over `BOUND`. `fitted` is the one fitter every tool goes through.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

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
        return Answer(self.text(version), version.model_dump(mode="json"))


def fitted(rendering: Rendering[R, M], result: R) -> Answer:
    """The richest version of `result` whose answer fits `BOUND`; the smallest one if none does."""
    answer: Answer | None = None
    for version in rendering.versions(result):
        answer = rendering.answer(version)
        if answer.size <= BOUND:
            return answer
    assert answer is not None, "a rendering gives at least one version of its result"
    return answer
