"""A short-lived cache in which concurrent identical requests share one upstream call."""

from __future__ import annotations

import contextlib
import heapq
import itertools
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import anyio
import anyio.abc

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass
class _Flight(Generic[V]):
    done: anyio.Event = field(default_factory=anyio.Event)
    value: V | None = None
    error: BaseException | None = None


class SingleFlightCache(Generic[K, V]):
    """Values expire after a per-entry TTL; the cache holds at most `max_weight` (sum of `weigh`).

    Expired entries are dropped whenever a new one is stored, not only when their key is asked again,
    so what the cache holds is bounded by live entries alone.

    Failures are shared with the callers waiting on the same flight but never cached. If the caller
    doing the fetch is cancelled, a waiting caller takes over and fetches again. A fetch `start`ed in a
    task group belongs to that group instead: a caller that stops waiting for it leaves it running.
    """

    def __init__(self, max_weight: int, weigh: Callable[[V], int], clock: Callable[[], float] = anyio.current_time):
        self._max_weight = max_weight
        self._weigh = weigh
        self._clock = clock
        self._entries: OrderedDict[K, tuple[float, int, V]] = OrderedDict()
        self._weight = 0
        self._flights: dict[K, _Flight[V]] = {}
        # (expiry, order, key) of every entry stored, the soonest first: the sweep reads only what has expired.
        self._expiries: list[tuple[float, int, K]] = []
        self._order = itertools.count()

    @property
    def weight(self) -> int:
        """The sum of the weights of the entries held."""
        return self._weight

    async def get(self, key: K, ttl: float, fetch: Callable[[], Awaitable[V]]) -> V:
        """The value for `key`; `fetch` runs only when no fresh value and no flight exists."""
        while True:
            entry = self._entries.get(key)
            if entry is not None:
                if entry[0] > self._clock():
                    self._entries.move_to_end(key)
                    return entry[2]
                self._evict(key)
            flight = self._flights.get(key)
            if flight is None:
                return await self._lead(key, ttl, fetch)
            await flight.done.wait()
            if flight.error is not None:
                raise flight.error
            if flight.value is not None:
                return flight.value
            # The leader was cancelled before it had an answer: go round and fetch.

    def start(self, tg: anyio.abc.TaskGroup, key: K, ttl: float, fetch: Callable[[], Awaitable[V]]) -> None:
        """Fetch `key` in `tg` (a task group that outlives the caller) unless it is fresh or already in flight; `get`
        then waits for that flight. Its failure goes to the callers waiting then, and no further."""
        entry = self._entries.get(key)
        if (entry is not None and entry[0] > self._clock()) or key in self._flights:
            return
        tg.start_soon(self._background, key, ttl, fetch, self._take_off(key))

    def _take_off(self, key: K) -> _Flight[V]:
        flight: _Flight[V] = _Flight()
        self._flights[key] = flight
        return flight

    async def _lead(self, key: K, ttl: float, fetch: Callable[[], Awaitable[V]]) -> V:
        return await self._fly(key, ttl, fetch, self._take_off(key))

    async def _background(self, key: K, ttl: float, fetch: Callable[[], Awaitable[V]], flight: _Flight[V]) -> None:
        # A failure is the waiting callers' to raise: raised here, it would end the task group that carries the flight.
        with contextlib.suppress(Exception):
            await self._fly(key, ttl, fetch, flight)

    async def _fly(self, key: K, ttl: float, fetch: Callable[[], Awaitable[V]], flight: _Flight[V]) -> V:
        try:
            flight.value = value = await fetch()
        except Exception as err:
            flight.error = err
            raise
        finally:
            del self._flights[key]
            flight.done.set()
        if ttl > 0:
            self._store(key, ttl, value)
        return value

    def _store(self, key: K, ttl: float, value: V) -> None:
        weight = self._weigh(value)
        if weight > self._max_weight:
            return
        self._evict(key)
        now = self._clock()
        self._sweep(now)
        self._entries[key] = (now + ttl, weight, value)
        heapq.heappush(self._expiries, (now + ttl, next(self._order), key))
        self._weight += weight
        while self._weight > self._max_weight:
            self._evict(next(iter(self._entries)))

    def _sweep(self, now: float) -> None:
        while self._expiries and self._expiries[0][0] <= now:
            expires, _, key = heapq.heappop(self._expiries)
            entry = self._entries.get(key)
            if entry is not None and entry[0] == expires:  # not stored again since
                self._evict(key)
        if len(self._expiries) > 2 * len(self._entries) + 64:  # keys evicted for room or stored again
            self._expiries = [(e[0], next(self._order), k) for k, e in self._entries.items()]
            heapq.heapify(self._expiries)

    def _evict(self, key: K) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._weight -= entry[1]
