"""`python -m bench scaling`: parsing, summarizing and rendering as the window grows."""

from __future__ import annotations

import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from astro_mcp.analysis.summarize import summarize
from astro_mcp.api.wire import MetricsResponse
from astro_mcp.domain import AgentRef, MetricsQuery
from astro_mcp.render.metrics import render
from bench.common import ms, out


def synthetic(n: int) -> tuple[MetricsQuery, MetricsResponse]:
    rng = random.Random(n)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    buckets = []
    for i in range(n):
        traces = rng.randint(1, 6)
        buckets.append(
            {
                "timestamp": (start + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "trace_count": traces,
                "avg_latency_ms": round(rng.uniform(150, 400), 1),
                "input_tokens": traces * 900,
                "output_tokens": traces * 350,
                "error_count": int(rng.random() < 0.01),
            }
        )
    body = json.dumps({"buckets": buckets, "time_range": {"start": "", "end": ""}, "interval_minutes": 1})
    query = MetricsQuery(AgentRef("astro-team", "weather-agent"), start, start + timedelta(minutes=n), 1)
    return query, MetricsResponse.model_validate_json(body)


def scaling(runs: int = 9) -> None:
    out(f"## Scaling: summarize + render, every minute of the window active ({runs} runs, median)")
    out("| buckets | parse from bytes | summarize + render | per bucket |")
    out("| ---: | ---: | ---: | ---: |")
    for n in (24, 1_000, 10_000, 43_200, 100_000):
        query, response = synthetic(n)
        body = response.model_dump_json().encode()
        parse: list[float] = []
        work: list[float] = []
        for _ in range(runs):
            started = time.perf_counter()
            MetricsResponse.model_validate_json(body)
            parse.append(time.perf_counter() - started)
            started = time.perf_counter()
            render(summarize(query, response.buckets, 1), "astro://x")
            work.append(time.perf_counter() - started)
        w = statistics.median(work)
        out(f"| {n:,} | {ms(statistics.median(parse))} | {ms(w)} | {w / n * 1e6:.2f} µs |")
    out()
