"""Series for the detection tests, drawn straight from the simulator's per-minute generator (no HTTP).

`views` builds what the server judges for one agent at one moment: a week of hourly context, the last
hours at 5 minutes, and windows of several sizes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from astro_mcp.analysis.grid import Series
from astro_mcp.sim.data import DAY, Agent, generate


def minutes(agent: Agent, seed: str, anchor: datetime, start: datetime, end: datetime) -> Series:
    """The agent's traffic in [start, end) at 1 minute, as the simulator generates it."""
    first, last = int(start.timestamp()) // 60, int(end.timestamp()) // 60
    whole = Series(first // DAY * DAY * 60, 60, [], [], [], [], [])
    for day in range(first // DAY, (last - 1) // DAY + 1):
        d = generate(agent, seed, day, anchor)
        whole.traces += d.traces
        whole.errors += d.errors
        whole.latency_sum += d.latency_sum
        whole.input_tokens += d.input_tokens
        whole.output_tokens += d.output_tokens
    return tail(whole, first - first // DAY * DAY, last - first)


def tail(s: Series, k: int, n: int | None = None) -> Series:
    """Items k to k + n (to the end by default) of `s`."""
    stop = len(s) if n is None else k + n
    return Series(
        s.time(k),
        s.step,
        s.traces[k:stop],
        s.errors[k:stop],
        s.latency_sum[k:stop],
        s.input_tokens[k:stop],
        s.output_tokens[k:stop],
    )


@dataclass(frozen=True)
class Views:
    context: Series  # 7 days, hourly
    recent: Series  # 6 hours, 5 minutes
    day: Series  # the last 24 hours and the 24 before, hourly
    hour: Series  # the last hour and the one before, 1 minute
    now: int

    def starts(self, hours: int) -> int:
        """Where a view of `hours` begins: `now` less its length, inside its first (partly covered) item."""
        return self.now // 60 * 60 - hours * 3600


def views(agent: Agent, seed: str, anchor: datetime, now: datetime) -> Views:
    week = minutes(agent, seed, anchor, now - timedelta(days=7), now)
    return Views(
        week.regroup(3600),
        tail(week, len(week) - 6 * 60).regroup(300),
        tail(week, len(week) - 48 * 60).regroup(3600),
        tail(week, len(week) - 2 * 60),
        int(now.timestamp()),
    )


def healthy_agent(rng: random.Random) -> Agent:
    """A healthy agent with the noise real ones have: any traffic level, heavy tails, weekends, bursts."""
    return Agent(
        "healthy",
        10 ** rng.uniform(-1.3, 1.0),  # 0.05 to 10 traces a minute at the daily peak
        error_rate=rng.choice([0.0, 0.002, 0.01, 0.03]),
        latency_ms=10 ** rng.uniform(1.8, 3.5),
        input_tokens=rng.randint(100, 5000),
        output_tokens=rng.randint(50, 2000),
        duty_cycle=rng.choice([None, None, None, (240, 30), (60, 20)]),
        weekend_traffic=rng.choice([1.0, 0.6, 0.3]),
        timeouts=rng.choice([0.0, 0.001, 0.005, 0.01]),
    )
