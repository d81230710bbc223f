"""The most recent data beside any window, fetched as cheaply as is exact: the status and "now" come from it.

Two views end where the window ends: a week hourly from midnight (LONG: the baseline, the daily and weekly
rhythm, slow drifts and recoveries) and six hours at 5 minutes (FINE: fast patterns, and when things began
or ended). They cost as few requests as the data allows:

- The week up to the hour the window ends in is settled. It is asked for on its own, so the response cache
  keeps it per agent and hour (briefly while its last minutes may still be arriving, like any live window):
  every call of that hour, every window and every overview row, shares one request.
- That hour's last minutes are added up from the six hours at 5 minutes, which hold them.
- The six hours come from an answer fetched anyway where it covers them at 5 minutes or finer (the
  window's own, or the overview's window and the one before it); else they are asked for.
"""

from __future__ import annotations

import bisect
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

import anyio
import anyio.abc

from astro_mcp.analysis.assess import Recent, View
from astro_mcp.analysis.rollup import added_up, within
from astro_mcp.domain import LIVE, Bucket, MetricsQuery
from astro_mcp.errors import AstroError
from astro_mcp.service.upstream import Served, Upstream

LONG, FINE = (timedelta(days=7), 60), (timedelta(hours=6), 5)
# The views fetched beside a window; none at all only to measure what they cost (`bench detect`).
RECENT: tuple[tuple[timedelta, int], ...] = (LONG, FINE)
_HOUR, _DAY = 3600, 86400
T = TypeVar("T")
Bound = anyio.CapacityLimiter | None


class Later(Generic[T]):
    """A value one task gives once and others wait for."""

    def __init__(self) -> None:
        self._given = anyio.Event()
        self._value: T | None = None

    def give(self, value: T | None) -> None:
        self._value = value
        self._given.set()

    async def value(self) -> T | None:
        await self._given.wait()
        return self._value


def fine_query(query: MetricsQuery) -> MetricsQuery:
    """The six hours at 5 minutes up to the end of `query`, from a 5-minute boundary (no partial first bucket)."""
    span, minutes = FINE
    first = int((query.end - span).timestamp()) // (minutes * 60) * (minutes * 60)
    return MetricsQuery(query.agent, datetime.fromtimestamp(first, UTC), query.end, minutes, live=query.live)


def settled_week(query: MetricsQuery) -> MetricsQuery:
    """The week hourly from midnight up to the hour `query` ends in: the same for every query of that hour."""
    span, minutes = LONG
    end = int(query.end.timestamp())
    hour = datetime.fromtimestamp(end // _HOUR * _HOUR, UTC)
    start = datetime.fromtimestamp(int((query.end - span).timestamp()) // _DAY * _DAY, UTC)
    return MetricsQuery(query.agent, start, hour, minutes, live=query.live and query.end - hour < LIVE)


def holds_fine(answer: MetricsQuery, query: MetricsQuery) -> bool:
    """Whether an answer to `answer` holds `query`'s six hours at 5 minutes exactly."""
    fine = fine_query(query)
    return (
        answer.agent == fine.agent
        and answer.start <= fine.start
        and answer.end == fine.end
        and fine.interval_minutes % answer.interval_minutes == 0
    )


def fetch_recent(
    up: Upstream,
    tg: anyio.abc.TaskGroup,
    query: MetricsQuery,
    fetching: tuple[Bound, float | None, list[str]],
    source: Later[Served] | None = None,
) -> Callable[[], Recent | None]:
    """Start fetching the most recent data in `tg`, under the bound and by the deadline of `fetching`; once `tg` is
    done, the returned function gives it. `source`: an answer being fetched anyway that `holds_fine`.

    A view that cannot be read leaves a note in `fetching`'s list: the verdict is then judged on what there is.
    """
    if not RECENT:
        return lambda: None
    bound, deadline, notes = fetching
    fine_q, week_q = fine_query(query), settled_week(query)
    fine: Later[View] = Later()
    views: dict[int, View] = {}

    async def read(recent: MetricsQuery, what: str) -> Served | None:
        try:
            return await up.metrics(recent, bound, deadline)
        except AstroError as err:
            notes.append(f"The agent's most recent {what} could not be read ({err}): judged on the window alone.")
            return None

    async def fetch_fine() -> None:
        got = await source.value() if source is not None else None
        if got is not None and fine_q.interval_minutes % got.interval(fine_q):
            got = None  # the API sent coarser buckets than asked for: they may straddle the view's start
        if got is None:
            got = await read(fine_q, "6 hours")
        if got is not None:
            views[FINE[1]] = (
                within(got.response.buckets, fine_q.start, fine_q.end),
                got.interval(fine_q),
                fine_q.start,
            )
        fine.give(views.get(FINE[1]))

    async def fetch_long() -> None:
        week = await read(week_q, "week")
        if week is None:
            return
        minutes = week.interval(week_q)
        tail = await _last_minutes(await fine.value(), week_q.end, query, minutes, read)
        if tail is not None:
            views[LONG[1]] = (_joined(week.response.buckets, tail, minutes), minutes, week_q.start)

    tg.start_soon(fetch_fine)
    tg.start_soon(fetch_long)

    def done() -> Recent | None:
        long = views.get(LONG[1])
        return Recent(long, views.get(FINE[1]), query.end) if long is not None else None

    return done


async def _last_minutes(
    fine: View | None,
    hour: datetime,
    query: MetricsQuery,
    minutes: int,
    read: Callable[[MetricsQuery, str], Awaitable[Served | None]],
) -> list[Bucket] | None:
    """The minutes from `hour` to the end of `query`, as buckets that nest in `minutes`: from the fine view where
    its buckets divide `minutes`, else asked for; None where they could not be read."""
    if hour >= query.end:
        return []
    if fine is not None and minutes % fine[1] == 0:
        return within(fine[0], hour, query.end)
    got = await read(MetricsQuery(query.agent, hour, query.end, minutes, live=query.live), "hour")
    return None if got is None else list(got.response.buckets)


def _joined(settled: Sequence[Bucket], tail: Sequence[Bucket], minutes: int) -> list[Bucket]:
    """The settled buckets of `minutes` and the finer ones after them, as one answer would have them: the tail
    added up into the bucket it falls in, with what the settled part holds of that bucket."""
    if not tail:
        return list(settled)
    step = minutes * 60
    slot = datetime.fromtimestamp(int(tail[0]["timestamp"].timestamp()) // step * step, UTC)
    cut = bisect.bisect_left(settled, slot, key=lambda b: b["timestamp"])
    return [*settled[:cut], *added_up([*settled[cut:], *tail], minutes)]
