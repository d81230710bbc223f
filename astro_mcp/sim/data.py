"""The simulated agents and their data: per-minute series, seeded by agent and day.

Data is generated per minute and summed into the requested buckets, so the same window has the same
totals at every interval. Incidents are placed relative to an `anchor` time (by default the
simulator's start), so a demo of "the last 24 hours" always contains them.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

DAY = 1440


@dataclass(frozen=True)
class Incident:
    """From `anchor + begins` for `lasts`: errors at `error_rate`, latency times `latency_factor`.

    Also: traffic times `traffic_factor` (0 is silence), tokens per trace times `token_factor`, latency
    growing by `latency_growth` per hour (compounding) from `begins`, and with `cycle` = (period, active)
    minutes the incident is on only in the first `active` minutes of every `period` from `begins`.
    """

    begins: timedelta
    lasts: timedelta
    error_rate: float | None = None
    latency_factor: float = 1.0
    traffic_factor: float = 1.0
    token_factor: float = 1.0
    latency_growth: float = 0.0
    cycle: tuple[int, int] | None = None

    def active(self, since: int, lasts: int) -> bool:
        """Whether the incident is on `since` minutes after it begins, given that it lasts `lasts` minutes."""
        return 0 <= since < lasts and (self.cycle is None or since % self.cycle[0] < self.cycle[1])


@dataclass(frozen=True)
class Agent:
    description: str
    peak_per_minute: float
    error_rate: float = 0.01
    latency_ms: float = 240.0
    input_tokens: int = 900
    output_tokens: int = 350
    incidents: tuple[Incident, ...] = ()
    # (period, active) in minutes: traffic only in the first `active` minutes of every `period`.
    duty_cycle: tuple[int, int] | None = None
    # Agents sharing a seed share their data: hundreds of them cost a few generated days.
    seed: str | None = None
    weekend_traffic: float = 1.0  # traffic on Saturdays and Sundays, relative to weekdays
    timeouts: float = 0.0  # share of traces that hit a 5-second timeout: a heavy latency tail


DEMO_AGENTS: dict[str, dict[str, Agent]] = {
    "astro-team": {
        "weather-agent": Agent("healthy: a steady daily rhythm, peaking mid-afternoon UTC", 4.0),
        "support-bot": Agent(
            "an error spike: 6 hours before the anchor, an hour at about 35% errors",
            3.0,
            incidents=(Incident(timedelta(hours=-6), timedelta(minutes=60), error_rate=0.35),),
        ),
        "checkout-agent": Agent(
            "a regression after a deploy: latency 2.5x and 5% errors (price_lookup timeouts) since 10 hours before "
            "the anchor, 2 minutes after build 7f3c9a1 went out",
            2.5,
            latency_ms=310.0,
            incidents=(Incident(timedelta(hours=-10), timedelta(days=3650), error_rate=0.05, latency_factor=2.5),),
        ),
        "billing-agent": Agent(
            "an error regression: about 8% errors since 3 hours before the anchor, 1% before",
            3.0,
            incidents=(Incident(timedelta(hours=-3), timedelta(days=3650), error_rate=0.08),),
        ),
        "quiet-agent": Agent("healthy but quiet: a few traces an hour", 0.05),
        "batch-agent": Agent(
            "bursty: runs 30 minutes every 4 hours, idle in between", 6.0, duty_cycle=(240, 30), latency_ms=1800.0
        ),
        "new-agent": Agent("deployed, but has served no traces yet", 0.0),
        "broken-backend": Agent("its tracing backend fails: 502", 0.0),
    },
}
ACCOUNT_ERRORS: dict[str, tuple[int, dict[str, str]]] = {
    "locked-org": (403, {"error": "insufficient permissions"}),
    "fresh-org": (
        503,
        {"error": "observability not configured", "details": "langfuse not configured for this account"},
    ),
    "expired-session": (401, {"error": "authentication required"}),
}
AGENT_ERRORS: dict[tuple[str, str], tuple[int, dict[str, str]]] = {
    ("astro-team", "broken-backend"): (502, {"error": "failed to query observability backend"}),
}


class Series:
    """Per-minute columns for one day of one agent, and their running sums per model priced (`sim.costs`).

    Tuples of numbers: once made, the cycle collector stops walking them (a test process keeps hundreds of days,
    and walking their millions of items made every full collection a tenth of a second).
    """

    __slots__ = ("errors", "input_tokens", "latency_sum", "output_tokens", "sums", "traces")

    def __init__(
        self,
        traces: Iterable[int],
        errors: Iterable[int],
        latency_sum: Iterable[float],
        input_tokens: Iterable[int],
        output_tokens: Iterable[int],
    ) -> None:
        self.traces = tuple(traces)
        self.errors = tuple(errors)
        self.latency_sum = tuple(latency_sum)
        self.input_tokens = tuple(input_tokens)
        self.output_tokens = tuple(output_tokens)
        self.sums: dict[str, tuple[tuple[int, ...], tuple[int, ...], tuple[float, ...]]] = {}


def days_of(first: int, last: int) -> Iterator[tuple[int, int, int]]:
    """Each day the minutes [first, last) touch, as (day, lo, hi): [lo, hi) are the minutes of that day they cover."""
    for day in range(first // DAY, (last - 1) // DAY + 1) if last > first else ():
        yield day, max(first - day * DAY, 0), min(last - day * DAY, DAY)


# The daily rhythm, peaking at 15:00 UTC, a fifth of the peak at its lowest: a factor for each minute of the day.
_RHYTHM = tuple(0.6 + 0.4 * math.cos((m / 60 - 15) * math.pi / 12) for m in range(DAY))


# random.gauss's and random.normalvariate's constants: `generate` draws as they do, without a call per draw.
_TWO_PI = 2.0 * math.pi
_NV = 4 * math.exp(-0.5) / math.sqrt(2.0)


def generate(agent: Agent, seed: str, day: int, anchor: datetime) -> Series:
    """One day of the agent's per-minute data, from a generator seeded by (seed, day): the same every time.

    Its normal draws are random.gauss's and random.lognormvariate's, written out on the same uniform draws (the
    same numbers, bit for bit): called for each of the day's 1,440 minutes, the calls were a fifth of its time.
    """
    rng = random.Random(hashlib.sha256(f"{seed}/{day}".encode()).digest())
    draw = rng.random
    spare: float | None = None  # gauss draws normals two at a time and hands out the second on its next call
    counts, errors, latency_sums, inputs, outputs = [0] * DAY, [0] * DAY, [0.0] * DAY, [0] * DAY, [0] * DAY
    anchor_minute = math.floor(anchor.timestamp() / 60)
    windows = []  # (first minute, minutes, incident) of the incidents this day overlaps: most days have none
    for incident in agent.incidents:
        begins, lasts = (
            anchor_minute + int(incident.begins.total_seconds() // 60),
            int(incident.lasts.total_seconds() // 60),
        )
        if begins < (day + 1) * DAY and begins + lasts > day * DAY:
            windows.append((begins, lasts, incident))
    weekday = agent.weekend_traffic if (day + 3) % 7 >= 5 else 1.0  # day 0, Jan 1 1970, was a Thursday
    for m in range(DAY):
        minute = day * DAY + m
        if agent.duty_cycle and minute % agent.duty_cycle[0] >= agent.duty_cycle[1]:
            continue
        rate = agent.peak_per_minute * _RHYTHM[m]
        on = [(begins, i) for begins, lasts, i in windows if i.active(minute - begins, lasts)] if windows else []
        factor = weekday
        for _, incident in on:
            factor *= incident.traffic_factor
        rate *= factor
        if not rate:
            continue
        if spare is None:  # gauss(rate, sqrt(rate))
            x2pi = draw() * _TWO_PI
            g2rad = math.sqrt(-2.0 * math.log(1.0 - draw()))
            z, spare = math.cos(x2pi) * g2rad, math.sin(x2pi) * g2rad
        else:
            z, spare = spare, None
        traces = max(0, round(rate + z * math.sqrt(rate)))
        if not traces:
            continue
        while True:  # lognormvariate(0, 0.15)
            u1 = draw()
            u2 = 1.0 - draw()
            z = _NV * (u1 - 0.5) / u2
            if z * z / 4.0 <= -math.log(u2):
                break
        error_rate, latency = agent.error_rate, agent.latency_ms * math.exp(0 + z * 0.15)
        tokens = 1.0
        for begins, incident in on:
            error_rate = incident.error_rate if incident.error_rate is not None else error_rate
            latency *= incident.latency_factor * (1 + incident.latency_growth) ** ((minute - begins) / 60)
            tokens *= incident.token_factor
        counts[m] = traces
        errors[m] = sum([draw() < error_rate for _ in range(traces)])
        timed_out = sum([5000.0 - latency for _ in range(traces) if draw() < agent.timeouts]) if agent.timeouts else 0.0
        latency_sums[m] = latency * traces + timed_out
        inputs[m] = round(traces * agent.input_tokens * tokens * (0.7 + (1.3 - 0.7) * draw()))
        outputs[m] = round(traces * agent.output_tokens * tokens * (0.7 + (1.3 - 0.7) * draw()))
    return Series(counts, errors, latency_sums, inputs, outputs)
