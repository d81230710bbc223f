"""Paging, for the answers that list rows (accounts' agents, an overview's agents): a page at a time, the
rows that matter most first, and an opaque cursor to the next page.

A tool returns `Paged(result, page)`; its rendering's versions are the pages that start at the page's
offset, longest first (`page_lengths`), and the fitter keeps the longest one within the bound. The
cursor (`query.cursor`) carries the next page's offset and what the list is of.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from astro_mcp.query.cursor import Page

T = TypeVar("T")


@dataclass(frozen=True)
class Paged(Generic[T]):
    """A whole result, and the page of its rows asked for."""

    result: T
    page: Page


def page_lengths(rows: int) -> Iterator[int]:
    """How many rows a page may hold, most first: all that are left, then a quarter fewer each time, down to 1."""
    length = rows
    while length > 1:
        yield length
        length = length * 3 // 4
    yield min(rows, 1)
