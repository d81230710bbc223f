"""`python -m bench detect`: the detection engine's cost, in computing and on the network.

1. The largest window, 30 days at 1 minute (43,200 buckets) of a zoo agent (a creeping latency, with the
   noise of a daily rhythm), laid on the grid the way the server lays the API's buckets. Timed: learning
   the baseline and diagnosing every signal, against summarizing the same buckets (measured in the same
   run). Budget: 150 ms.
2. A default get_agent_metrics (the last 24 hours, compared with the day before, with its p95) against a
   simulator that answers every request 50 ms late, caches off: with the most recent week and 6 hours
   fetched beside the window, against the same call without them. Budget: 1.2x.
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
from astro_mcp.service import Service, metrics
from astro_mcp.sim.app import DEMO_TOKEN, Simulator
from astro_mcp.sim.data import DAY, generate
from astro_mcp.sim.serve import serve_simulator
from astro_mcp.sim.zoo import ZOO
from bench.common import out
from bench.traces import median_ms

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
    simulator = Simulator(latency_ms=DELAY_MS)
    async with serve_simulator(simulator) as url:
        settings = Settings(api_url=url, access_token=SecretStr(DEMO_TOKEN), cache_ttl=0, live_cache_ttl=0)
        service = Service(settings, lambda: datetime.now(UTC))
        query = service.read.metrics("zoo", "flapping-agent", "now-24h", None, None)
        await service.metrics.summary(query)  # warm-up: connections, the simulator's per-day data
        timings = {}
        for label, recent in (("without", ()), ("with", metrics.RECENT)):
            metrics.RECENT = recent  # the views fetched beside the window: none, as before the engine
            timings[label] = await median_ms(lambda: service.metrics.summary(query), runs)
        await service.aclose()
    ratio = timings["with"] / timings["without"]
    out(f"## get_agent_metrics, last 24 hours, {DELAY_MS:.0f} ms per API call ({runs} calls, median, caches off)")
    out("| window + previous + p95 | + the most recent week and 6 hours (concurrent) | ratio | budget |")
    out("| ---: | ---: | ---: | ---: |")
    out(f"| {timings['without']:.1f} ms | {timings['with']:.1f} ms | {ratio:.2f} | 1.20 |")
    out()


if __name__ == "__main__":
    detect()
    anyio.run(network)
