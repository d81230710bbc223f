"""An agent's metrics answer as the API renders it, from its per-minute data (`sim.data`): each day's data is
generated once and each day's buckets rendered once, for every agent sharing its seed, and for every simulator of
the process (the tests start hundreds of them over the same few agents and days).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from starlette.responses import JSONResponse, Response

from astro_mcp.sim import traces as sim_traces
from astro_mcp.sim.data import DAY, Agent, Series, days_of, generate

MAX_DAYS = 400  # the longest window answered; longer ones fail as the real server's query does


class Buckets:
    """The metrics answers of every agent, from data generated once per (seed, day)."""

    def __init__(self, anchor: datetime, clock: Callable[[], datetime]) -> None:
        self._anchor = anchor
        self._clock = clock

    def answer(self, agent: Agent, account: str, name: str, param: Callable[[str], str | None]) -> Response:
        """`GET .../observability/metrics` for `agent`, its query read by `param` as the real server reads it."""
        start_raw, end_raw = param("start_time") or "", param("end_time") or ""
        interval = _lenient_interval(param("interval"))
        empty = {"buckets": [], "time_range": {"start": start_raw, "end": end_raw}, "interval_minutes": 60}
        if not start_raw or not end_raw:
            return JSONResponse(empty)
        try:
            start, end = sim_traces.parse_moment(start_raw), sim_traces.parse_moment(end_raw)
        except ValueError:
            return JSONResponse({"error": "failed to query metrics"}, 502)
        if (end - start).total_seconds() > MAX_DAYS * 86400:
            return JSONResponse({"error": "failed to query metrics"}, 502)
        buckets = self._buckets(agent, account, name, start, end, interval)
        if not buckets:
            return JSONResponse(empty)
        time_range = json.dumps({"start": start_raw, "end": end_raw})
        body = f'{{"buckets":[{",".join(buckets)}],"time_range":{time_range},"interval_minutes":{interval}}}'
        return Response(body, media_type="application/json")

    def _buckets(
        self, agent: Agent, account: str, name: str, start: datetime, end: datetime, interval: int
    ) -> list[str]:
        """The non-empty buckets of [start, end) as JSON, aligned to multiples of `interval` since the epoch."""
        first = math.ceil(start.timestamp() / 60)
        last = min(math.ceil(end.timestamp() / 60), math.floor(self._clock().timestamp() / 60))  # none from the future
        if DAY % interval:
            return _render(agent, _seed(agent, account, name), self._anchor, first, last, interval)
        # Buckets never cross midnight: each day's part is rendered once and kept, for every agent sharing the seed.
        parts: list[str] = []
        seed = _seed(agent, account, name)
        for day, lo, hi in days_of(first, last):
            parts.extend(_rendered(agent, seed, self._anchor, day * DAY + lo, day * DAY + hi, interval))
        return parts

    def day_series(self, agent: Agent, account: str, name: str, day: int) -> Series:
        return _generated(agent, _seed(agent, account, name), day, self._anchor)


@functools.lru_cache(maxsize=1024)  # some 100 KB each
def _generated(agent: Agent, seed: str, day: int, anchor: datetime) -> Series:
    return generate(agent, seed, day, anchor)


@functools.lru_cache(maxsize=4096)
def _rendered(agent: Agent, seed: str, anchor: datetime, first: int, last: int, interval: int) -> tuple[str, ...]:
    return tuple(_render(agent, seed, anchor, first, last, interval))


def _render(agent: Agent, seed: str, anchor: datetime, first: int, last: int, interval: int) -> list[str]:
    """The non-empty buckets of the minutes [first, last): each column summed a slice at a time."""
    sums: dict[int, list[float]] = {}
    for day, edge, end in days_of(first, last):
        series = _generated(agent, seed, day, anchor)
        columns: tuple[Sequence[float], ...] = (
            series.traces,
            series.errors,
            series.latency_sum,
            series.input_tokens,
            series.output_tokens,
        )
        while edge < end:
            key = (day * DAY + edge) // interval * interval
            stop = min(end, key + interval - day * DAY)
            acc = sums.setdefault(key, [0, 0, 0.0, 0, 0])
            for i, column in enumerate(columns):
                acc[i] = sum(column[edge:stop], acc[i])  # a quiet minute adds 0: the sum is the traced minutes'
            edge = stop
    return [
        f'{{"timestamp":"{datetime.fromtimestamp(key * 60, UTC):%Y-%m-%dT%H:%M:%SZ}","trace_count":{int(a[0])},'
        f'"avg_latency_ms":{round(a[2] / a[0], 1)},"input_tokens":{int(a[3])},"output_tokens":{int(a[4])},'
        f'"error_count":{int(a[1])}}}'
        for key, a in sorted(sums.items())
        if a[0]
    ]


def _seed(agent: Agent, account: str, name: str) -> str:
    """What an agent's data is generated from: agents sharing a seed share their data."""
    return agent.seed or f"{account}/{name}"


def _lenient_interval(raw: str | None) -> int:
    """As the real server does: anything not a positive integer becomes 60."""
    try:
        value = int(raw or "")
    except ValueError:
        return 60
    return value if value > 0 else 60
