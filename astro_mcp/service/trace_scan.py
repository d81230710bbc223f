"""Traces of one status where the server cannot filter them: read page by page, newest first, and kept here.

The newest servers' per-deployment trace route has no `status` filter. A call for errors reads pages of
the window until it has the traces asked for, the window is exhausted, `MAX_PAGES` are read or the time
allowed runs out, and says how many pages that took.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio

from astro_mcp.api.wire import TracesResponse
from astro_mcp.domain import Trace, TracesQuery

PAGE = 100
MAX_PAGES = 50

Page = Callable[[int, int], Awaitable[TracesResponse]]  # (offset, limit) -> that page, every status


async def scan(page: Page, query: TracesQuery, limit: int, seconds: float) -> tuple[TracesResponse, str | None]:
    """`limit` traces of `query`'s status from its offset, and how they were found. Raises `AstroError`."""
    if query.status == "all":
        return await page(query.offset, limit), None
    wanted = query.offset + limit
    matched: list[Trace] = []
    pages = read = 0
    complete = False
    with anyio.move_on_after(seconds):
        while len(matched) < wanted and pages < MAX_PAGES and not complete:
            got = await page(read, PAGE)
            pages += 1
            read += len(got.traces)
            matched += [t for t in got.traces if t.failed == (query.status == "error")]
            complete = len(got.traces) < PAGE or (got.total is not None and read >= got.total)
    kind = "errors" if query.status == "error" else "successful traces"
    note = (
        f"This server's trace route cannot filter by status: {kind} were picked out here from the "
        f"{'' if complete else 'newest '}{read:,} traces of the window, read in {pages} page{'s' * (pages != 1)}"
    )
    note += "." if complete else "; older ones were not read (narrow the window to reach them)."
    return TracesResponse(traces=matched[query.offset : wanted], total=len(matched) if complete else None), note
