"""A short-lived cache in which concurrent identical requests share one upstream call."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import anyio

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
    doing the fetch is cancelled, a waiting caller takes over and fetches again.
    """

    def __init__(self, max_weight: int, weigh: Callable[[V], int], clock: Callable[[], float] = anyio.current_time):
        self._max_weight = max_weight
        self._weigh = weigh
        self._clock = clock
        self._entries: OrderedDict[K, tuple[float, int, V]] = OrderedDict()
        self._weight = 0
        self._flights: dict[K, _Flight[V]] = {}

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

    async def _lead(self, key: K, ttl: float, fetch: Callable[[], Awaitable[V]]) -> V:
        flight: _Flight[V] = _Flight()
        self._flights[key] = flight
        try:
            flight.value = await fetch()
        except Exception as err:
            flight.error = err
            raise
        finally:
            del self._flights[key]
            flight.done.set()
        if ttl > 0:
            self._store(key, ttl, flight.value)
        return flight.value

    def _store(self, key: K, ttl: float, value: V) -> None:
        weight = self._weigh(value)
        if weight > self._max_weight:
            return
        self._evict(key)
        now = self._clock()
        for stale in [k for k, (expires, _, _) in self._entries.items() if expires <= now]:
            self._evict(stale)
        self._entries[key] = (now + ttl, weight, value)
        self._weight += weight
        while self._weight > self._max_weight:
            self._evict(next(iter(self._entries)))

    def _evict(self, key: K) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._weight -= entry[1]
