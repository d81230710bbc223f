"""The scenario zoo: agents of the `zoo` account, each playing one situation an operator must recognise.

Times are relative to the simulator's anchor. Every agent has a daily rhythm; some add weekends, sparse
traffic or a heavy latency tail (timeouts), so the situations come with the noise they meet in practice.
"""

from __future__ import annotations

from datetime import timedelta

from astro_mcp.sim.data import Agent, Incident

FOREVER = timedelta(days=3650)


def _h(hours: float) -> timedelta:
    return timedelta(hours=hours)


ZOO: dict[str, Agent] = {
    "silent-after-errors": Agent(
        "connection refused for 10 minutes (60% errors), then no traces at all since 3 hours before the anchor",
        4.0,
        incidents=(
            Incident(_h(-3) - timedelta(minutes=10), timedelta(minutes=10), error_rate=0.6),
            Incident(_h(-3), FOREVER, traffic_factor=0.0),
        ),
    ),
    "flapping-agent": Agent(
        "flapping: 30% errors for 20 minutes, clean for 20, over and over since 6 hours before the anchor",
        3.0,
        incidents=(Incident(_h(-6), FOREVER, error_rate=0.3, cycle=(40, 20)),),
    ),
    "creeping-latency": Agent(
        "creep: latency up 3% an hour, compounding, since 2 days before the anchor; no step",
        3.0,
        latency_ms=300.0,
        incidents=(Incident(_h(-48), FOREVER, latency_growth=0.03),),
    ),
    "recovered-agent": Agent(
        "recovered: 12% errors for 5 days, fixed 12 hours before the anchor",
        3.0,
        incidents=(Incident(_h(-12) - timedelta(days=5), timedelta(days=5), error_rate=0.12),),
    ),
    "token-jump": Agent(
        "cost: tokens per trace 6 times higher since 9 hours before the anchor, nothing else changed",
        3.0,
        incidents=(Incident(_h(-9), FOREVER, token_factor=6.0),),
    ),
    "latency-spike": Agent(
        "a latency spike: 3 times slower for an hour, 5 hours before the anchor",
        3.0,
        incidents=(Incident(_h(-5), _h(1), latency_factor=3.0),),
    ),
    "error-step": Agent(
        "an error step: 9% errors since 4 hours before the anchor, 1% before",
        2.0,
        incidents=(Incident(_h(-4), FOREVER, error_rate=0.09),),
    ),
    "quiet-healthy": Agent(
        "healthy but quiet and noisy: a few traces an hour, 1% of them 5-second timeouts", 0.08, timeouts=0.01
    ),
    "seasonal-healthy": Agent(
        "healthy: a deep daily rhythm and quiet weekends (30% of weekday traffic)",
        6.0,
        weekend_traffic=0.3,
        timeouts=0.002,
    ),
    "brand-new": Agent(
        "brand new: its first traces 5 hours before the anchor, healthy since",
        2.0,
        incidents=(Incident(-FOREVER, FOREVER - _h(5), traffic_factor=0.0),),
    ),
}
