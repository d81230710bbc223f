"""`python -m bench detect`: the detection engine's cost, in computing and on the network.

1. The largest window, 30 days at 1 minute (43,200 buckets) of a zoo agent (a creeping latency, with the
   noise of a daily rhythm), laid on the grid the way the server lays the API's buckets. Timed: learning
   the baseline and diagnosing every signal, against summarizing the same buckets (measured in the same
   run). Budget: 150 ms.
2. A get_agent_metrics of a past 24 hours (compared with the day before, with its p95 and cost) against a
   simulator that answers every request 50 ms late, each call a window no earlier call asked for: with the
   most recent week and 6 hours fetched beside the window (the agent's week read for the call, or kept from
   an earlier call of the hour), against the same call without them. Budget: 1.2x.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta

import anyio
from pydantic import SecretStr

from astro_mcp.analysis.detect import diagnose
from astro_mcp.analysis.grid import Series, lay_on_grid
from astro_mcp.analysis.summarize import summarize
from astro_mcp.config import Settings
from astro_mcp.domain import AgentRef, Bucket, MetricsQuery
from astro_mcp.service import Service, recent
from astro_mcp.sim.app import DEMO_TOKEN, Simulator
from astro_mcp.sim.data import DAY, generate
from astro_mcp.sim.serve import serve_simulator
from astro_mcp.sim.zoo import ZOO
from bench.common import out

BUDGET_MS = 150.0
DELAY_MS = 50.0
END = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def buckets(name: str, days: int) -> list[Bucket]:
    """The agent's 1-minute buckets for the `days` before END, as the API sends them (idle minutes left out)."""
    agent, first = ZOO[name], int((END - timedelta(days=days)).timestamp()) // 60
    found: list[Bucket] = []
    last = int(END.timestamp()) // 60
    for day in range(first // DAY, last // DAY + 1):
        s = generate(agent, f"zoo/{name}", day, END)
        for m, traces in enumerate(s.traces):
            if traces and first <= day * DAY + m < last:
                found.append(
                    {
                        "timestamp": datetime.fromtimestamp((day * DAY + m) * 60, UTC),
                        "trace_count": traces,
                        "avg_latency_ms": s.latency_sum[m] / traces,
                        "input_tokens": s.input_tokens[m],
                        "output_tokens": s.output_tokens[m],
                        "error_count": s.errors[m],
                    }
                )
    return found


def timed(work: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def detect(runs: int = 9) -> None:
    days = 30
    found = buckets("creeping-latency", days)
    query = MetricsQuery(AgentRef("zoo", "creeping-latency"), END - timedelta(days=days), END, 1)
    series: Series = lay_on_grid(found, 1, query.start, query.end)[0]
    now = int(END.timestamp())
    out(f"## Detection: {len(series):,} one-minute buckets ({len(found):,} with traces), {runs} runs, median")
    base = timed(lambda: summarize(query, found, 1), runs)
    engine = timed(lambda: diagnose(series, now), runs)
    findings = diagnose(series, now).findings
    out("| step | time |")
    out("| --- | ---: |")
    out(f"| summarize (the baseline: grid, figures, table) | {base:,.1f} ms |")
    out(f"| learn + diagnose (every signal, every kind) | {engine:,.1f} ms ({engine / base:.2f}x summarize) |")
    verdict = "within" if engine <= BUDGET_MS else "OVER"
    out(f"Budget {BUDGET_MS:.0f} ms: {verdict}. Found: {findings[0].kind if findings else 'nothing'}.")
    out()


async def network(runs: int = 21) -> None:
    """Three ways of asking, interleaved, each call for a past 24-hour window no earlier call asked for (so no
    window, comparison or p95 comes from a cache): without the most recent views; with them, the agent's week not
    yet kept (caches off: the first call of an hour); with them, the week kept (a later call of the same hour)."""
    simulator = Simulator(latency_ms=DELAY_MS)
    async with serve_simulator(simulator) as url:
        on = Settings(api_url=url, access_token=SecretStr(DEMO_TOKEN))
        kept = Service(on, lambda: datetime.now(UTC))
        cold = Service(on.model_copy(update={"cache_ttl": 0.0}), lambda: datetime.now(UTC))
        every = recent.RECENT
        hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
        modes = {"without": (kept, hour - timedelta(hours=1), ()), "cold": (cold, hour - timedelta(hours=2), None)}
        modes["kept"] = (kept, hour, None)
        times: dict[str, list[float]] = {mode: [] for mode in modes}
        for run in range(-1, runs):  # run -1: the warm-up (connections, the simulator's days, the week kept)
            for mode, (service, at, views) in modes.items():
                recent.RECENT = every if views is None else views
                end = at + timedelta(minutes=run + 2)
                query = service.read.metrics(
                    "zoo",
                    "flapping-agent",
                    f"{end - timedelta(days=1):%Y-%m-%dT%H:%MZ}",
                    f"{end:%Y-%m-%dT%H:%MZ}",
                    None,
                )
                started = time.perf_counter()
                await service.metrics.summary(query)
                if run >= 0:
                    times[mode].append(time.perf_counter() - started)
        for service in (kept, cold):
            await service.aclose()
    base = statistics.median(times["without"]) * 1000
    out(f"## get_agent_metrics, a past 24 hours, {DELAY_MS:.0f} ms an API call, {runs} calls each, interleaved, median")
    out("| the call | time | ratio | budget |")
    out("| --- | ---: | ---: | ---: |")
    out(f"| the window, the one before it, the p95 and the cost | {base:.1f} ms | 1.00 | |")
    for mode, label in (("cold", "the week not yet kept"), ("kept", "the week kept (a later call of the hour)")):
        took = statistics.median(times[mode]) * 1000
        out(f"| the same, with the most recent week and 6 hours; {label} | {took:.1f} ms | {took / base:.2f} | 1.20 |")
    out()


if __name__ == "__main__":
    detect()
    anyio.run(network)
