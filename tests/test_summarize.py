"""Summaries: exact, bounded, and pointing at what matters."""

from __future__ import annotations

import json
import math
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from statistics import NormalDist
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client

from astro_mcp.analysis.anomalies import poisson_z
from astro_mcp.analysis.fit import halved_table
from astro_mcp.analysis.grid import Series, lay_on_grid
from astro_mcp.analysis.summarize import MAX_TABLE_ROWS
from astro_mcp.config import Settings
from astro_mcp.domain import AgentRef, MetricsQuery
from astro_mcp.domain import Bucket as MetricsBucket
from astro_mcp.render.answer import fitted
from astro_mcp.render.metrics import METRICS, render
from astro_mcp.server import create_server
from tests.support import CI_ONLY, NOW, examples, http_client, summarize_at

BOUND = 12_000
START = datetime(2026, 11, 1, tzinfo=UTC)


def bucket(at: datetime, traces: int, errors: int = 0, latency: float = 200.0) -> MetricsBucket:
    return {
        "timestamp": at,
        "trace_count": traces,
        "avg_latency_ms": latency,
        "input_tokens": traces * 900,
        "output_tokens": traces * 300,
        "error_count": errors,
    }


def synthetic(seed: int, n: int, interval: int, fill: float, start: datetime = START) -> list[MetricsBucket]:
    """n buckets' worth of grid, a share `fill` of them with traffic: sparse, like the API."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        if rng.random() < fill:
            traces = rng.randint(1, 400)
            out.append(
                bucket(
                    start + timedelta(minutes=i * interval), traces, rng.randint(0, traces // 5), rng.uniform(5, 9000)
                )
            )
    return out


def result_size(summary_text: str, structured: dict[str, Any]) -> int:
    return len(summary_text) + len(json.dumps(structured, separators=(",", ":")))


def summarize_and_render(
    query: MetricsQuery, buckets: list[MetricsBucket], now: datetime = NOW
) -> tuple[str, dict[str, Any]]:
    """The text and the structured content of a tool result, as the tool fits them within the bound."""
    summary = summarize_at(query, buckets, query.interval_minutes, now)
    fit = fitted(METRICS, summary)
    return fit.text, fit.structured


# --- properties -------------------------------------------------------------------------------


@given(
    seed=st.integers(0, 2**32),
    n=st.integers(1, 3000),
    interval=st.sampled_from([1, 5, 7, 60]),
    factor=st.integers(1, 500),
    fill=st.floats(0, 1),
)
@settings(max_examples=examples(60), deadline=None)
def test_regrouping_conserves_every_total_and_the_weighted_latency(
    seed: int, n: int, interval: int, factor: int, fill: float
) -> None:
    buckets = synthetic(seed, n, interval, fill, START + timedelta(minutes=seed % 997))
    end = START + timedelta(minutes=seed % 997 + n * interval)
    series, _ = lay_on_grid(buckets, interval, START + timedelta(minutes=seed % 997), end)
    coarse = series.regroup(series.step * factor)
    for fine, coarser in zip(series_columns(series), series_columns(coarse), strict=True):
        assert sum(coarser) == pytest.approx(sum(fine), rel=1e-12)
    assert sum(coarse.traces) == sum(b["trace_count"] for b in buckets)
    assert sum(coarse.errors) == sum(b["error_count"] for b in buckets)
    weighted = sum(b["avg_latency_ms"] * b["trace_count"] for b in buckets)
    assert sum(coarse.latency_sum) == pytest.approx(weighted, rel=1e-9)


def series_columns(s: Series) -> list[list[int] | list[float]]:
    return [s.traces, s.errors, s.latency_sum, s.input_tokens, s.output_tokens]


@given(seed=st.integers(0, 2**32), n=st.integers(1, 2000), fill=st.floats(0, 1))
@settings(max_examples=examples(60), deadline=None)
def test_filling_idle_gaps_never_changes_a_total(seed: int, n: int, fill: float) -> None:
    buckets = synthetic(seed, n, 5, fill)
    query = MetricsQuery(AgentRef("a", "b"), START, START + timedelta(minutes=5 * n), 5)
    summary = summarize_at(query, buckets, 5, NOW)
    assert summary.totals.trace_count == sum(b["trace_count"] for b in buckets)
    assert summary.totals.error_count == sum(b["error_count"] for b in buckets)
    assert summary.totals.input_tokens == sum(b["input_tokens"] for b in buckets)
    assert summary.totals.output_tokens == sum(b["output_tokens"] for b in buckets)
    assert summary.idle.idle_buckets == n - len(buckets)
    assert sum(row[1] for row in summary.table.rows) == summary.totals.trace_count
    if buckets:
        weighted = sum(b["avg_latency_ms"] * b["trace_count"] for b in buckets) / summary.totals.trace_count
        assert summary.avg_latency_ms == pytest.approx(weighted, rel=1e-9)
        assert summary.error_rate == summary.totals.error_count / summary.totals.trace_count


odd_buckets = st.lists(
    st.builds(
        bucket,
        st.datetimes(min_value=datetime(2026, 10, 1), max_value=datetime(2026, 12, 1), timezones=st.just(UTC)),
        st.integers(0, 10**6),
        st.integers(0, 10**6),
        st.floats(0, 1e7),
    ),
    max_size=300,
)


@given(
    buckets=odd_buckets,
    days=st.integers(0, 90),
    hours=st.integers(1, 23),
    interval=st.sampled_from([1, 2, 5, 13, 60, 360, 1440]),
    slug=st.sampled_from(["a", "x" * 64]),
)
@settings(max_examples=examples(80), deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_input_gives_a_bounded_deterministic_result(
    buckets: list[MetricsBucket], days: int, hours: int, interval: int, slug: str
) -> None:
    """Duplicates, out-of-window and off-grid timestamps, more errors than traces, long slugs: all bounded."""
    end = START + timedelta(days=days, hours=hours)
    if (end - START).total_seconds() / 60 / interval > 50_000:
        interval = 5
    notes = ("end_time 2026-12-01T00:00:00Z is in the future; the window ends now (2026-11-25T09:52:30Z) instead.",)
    query = MetricsQuery(AgentRef(slug, slug), START, end, interval, notes=notes)
    text, structured = summarize_and_render(query, buckets, end)
    assert result_size(text, structured) <= BOUND
    assert len(structured["table"]["rows"]) <= MAX_TABLE_ROWS
    assert summarize_and_render(query, buckets, end) == (text, structured)


@pytest.mark.parametrize(
    ("interval", "n"),
    # 90 days at 1 hour every day; the 20 s cases (90 days at 5 minutes, a month and more at 1 minute) in CI.
    [
        pytest.param(1, 43_200, marks=CI_ONLY),
        pytest.param(1, 50_000, marks=CI_ONLY),
        pytest.param(5, 25_920, marks=CI_ONLY),
        (60, 2_160),
    ],
)
def test_the_largest_windows_stay_within_the_bound(interval: int, n: int) -> None:
    buckets = synthetic(7, n, interval, 0.9)
    query = MetricsQuery(AgentRef("x" * 64, "y" * 64), START, START + timedelta(minutes=n * interval), interval)
    text, structured = summarize_and_render(query, buckets, START + timedelta(days=200))
    assert result_size(text, structured) <= BOUND
    assert structured["totals"]["trace_count"] == sum(b["trace_count"] for b in buckets)


def test_odd_api_data_is_noted() -> None:
    t = START + timedelta(hours=1)
    buckets = [
        bucket(t, 10),
        bucket(t, 5),  # a duplicate timestamp
        bucket(t + timedelta(minutes=7), 3),  # off the 60-minute grid
        bucket(START - timedelta(days=1), 99),  # outside the window
        bucket(t + timedelta(hours=1), 2, errors=4),  # more errors than traces
    ]
    query = MetricsQuery(AgentRef("a", "b"), START, START + timedelta(hours=4), 60)
    summary = summarize_at(query, buckets, 60, NOW)
    notes = " ".join(summary.notes)
    assert "1 bucket(s) outside the window" in notes
    assert "2 bucket(s) fell in a time slot another bucket already had" in notes
    assert "1 bucket(s) were not aligned to 1 hour boundaries" in notes
    assert "1 bucket(s) report more errors than traces" in notes
    assert summary.totals.trace_count == 20


def test_partial_and_still_filling_buckets_are_noted() -> None:
    start, end = START + timedelta(minutes=52), START + timedelta(hours=5, minutes=52)
    query = MetricsQuery(AgentRef("a", "b"), start, end, 60)
    live = summarize_at(query, [bucket(START + timedelta(hours=2), 10)], 60, end + timedelta(seconds=30))
    past = summarize_at(query, [bucket(START + timedelta(hours=2), 10)], 60, end + timedelta(days=1))
    assert "The first bucket (Nov 01 00:00 UTC) covers only 8 of its 60 minutes" in " ".join(live.notes)
    assert "The window ends now: the last bucket (Nov 01 05:00 UTC) is still filling" in " ".join(live.notes)
    assert "The last bucket (Nov 01 05:00 UTC) covers only 52 of its 60 minutes" in " ".join(past.notes)


def test_idle_time_is_counted_as_zero_and_the_longest_stretch_is_named() -> None:
    buckets = [bucket(START + timedelta(hours=h), 50) for h in (0, 1, 2, 7, 8)]
    query = MetricsQuery(AgentRef("a", "b"), START, START + timedelta(hours=10), 60)
    summary = summarize_at(query, buckets, 60, NOW)
    assert summary.idle.idle_buckets == 5
    idle = summary.model_dump(mode="json")["idle"]
    assert (idle["longest_start"], idle["longest_end"]) == ("2026-11-01T03:00:00Z", "2026-11-01T07:00:00Z")
    assert summary.traces_per_hour == 25.0  # 250 traces over 10 hours, idle hours included
    text = render(summary, "astro://x")
    assert "Longest idle stretch: Nov 01 03:00 UTC → Nov 01 07:00 UTC (4 hours)" in text


def test_an_idle_stretch_running_into_the_end_of_the_window_stops_there() -> None:
    query = MetricsQuery(AgentRef("a", "b"), START, START + timedelta(hours=5, minutes=30), 60)
    buckets = [bucket(START, 50), bucket(START + timedelta(hours=1), 50)]
    idle = summarize_at(query, buckets, 60, NOW).model_dump(mode="json")["idle"]
    assert (idle["longest_start"], idle["longest_end"]) == ("2026-11-01T02:00:00Z", "2026-11-01T05:30:00Z")
    assert idle["longest_minutes"] == 210  # the last bucket is cut by the window: 3.5 hours, not 4
    assert idle["idle_buckets"] == 4


def test_the_trend_is_told_in_words_with_the_figures() -> None:
    first = [bucket(START + timedelta(hours=h), 1000, errors=6, latency=200) for h in range(12)]
    second = [bucket(START + timedelta(hours=h), 1000, errors=17, latency=300) for h in range(12, 24)]
    query = MetricsQuery(AgentRef("a", "b"), START, START + timedelta(days=1), 60)
    text = render(summarize_at(query, first + second, 60, NOW), "astro://x")
    assert "error rate rose from 0.60% to 1.70%" in text
    assert "latency (median period) rose from 200.0 ms to 300.0 ms" in text
    assert "traffic steady (1,000 traces/hour → 1,000 traces/hour)" in text


def test_counts_of_one_read_in_the_singular() -> None:
    buckets = [bucket(START + timedelta(hours=h), 40, errors=1 if h == 5 else 0) for h in range(6)]
    buckets.append(bucket(START + timedelta(hours=6), 1))
    query = MetricsQuery(AgentRef("a", "b"), START, START + timedelta(hours=7), 60)
    text = render(summarize_at(query, buckets, 60, NOW), "astro://x")
    highest = "Highest error rate of the 1-hour periods with 10+ traces: 2.50% at Nov 01 05:00 UTC (40 traces, 1 error)"
    assert f"{highest}, within normal variation" in text
    assert "Nov 01 06:00–07:00 UTC): 0.00% errors, 200.0 ms, 1,200 tokens per trace, 1 trace: too few traces" in text


def test_a_lone_busy_period_is_not_compared_with_itself() -> None:
    query = MetricsQuery(AgentRef("a", "b"), START, START + timedelta(hours=6), 60)
    summary = summarize_at(query, [bucket(START + timedelta(hours=3), 96, errors=2)], 60, NOW)
    assert summary.busiest is not None
    assert summary.model_dump(mode="json")["busiest"]["start"] == "2026-11-01T03:00:00Z"
    assert summary.worst_error_rate is None
    assert summary.worst_latency is None
    text = render(summary, "astro://x")
    assert "Busiest 1-hour period: Nov 01 03:00 UTC (96 traces)." in text
    assert "Worst" not in text
    assert "Highest" not in text


def test_the_mean_latency_is_weighted_by_traces_not_a_mean_of_means() -> None:
    buckets = [bucket(START, 1000, latency=100.0), bucket(START + timedelta(hours=1), 10, latency=1000.0)]
    summary = summarize_at(MetricsQuery(AgentRef("a", "b"), START, START + timedelta(hours=2), 60), buckets, 60, NOW)
    assert summary.avg_latency_ms == pytest.approx((1000 * 100 + 10 * 1000) / 1010)


def test_an_isolated_failed_trace_in_a_quiet_minute_is_not_an_anomaly() -> None:
    buckets = synthetic(3, 1440, 1, 1.0)
    for b in buckets:
        b["trace_count"], b["error_count"] = 3, 0
    buckets[700]["error_count"] = 1  # one failed trace: 33% for that minute
    summary = summarize_at(MetricsQuery(AgentRef("a", "b"), START, START + timedelta(days=1), 1), buckets, 1, NOW)
    assert summary.incidents == []
    assert summary.status == "healthy"


# --- golden tests on the simulator's demo agents -------------------------------------------------


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    async with Client(create_server(settings, clock=lambda: NOW)) as c:
        yield c


async def call(client: Client, name: str, **arguments: Any) -> tuple[str, dict[str, Any]]:
    result = await client.call_tool("get_agent_metrics", {"account": "astro-team", "name": name, **arguments})
    assert not result.is_error
    assert result.structured_content is not None
    text = "\n".join(getattr(c, "text", "") for c in result.content)
    return text, result.structured_content


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("start_time", "interval", "peak"),
    [
        ("now-24h", None, "Nov 25 03:00"),
        ("now-7d", "5m", "Nov 25 03:00"),
        pytest.param("now-30d", "1m", "Nov 25 03:00", marks=CI_ONLY),
    ],
)
async def test_the_error_spike_is_found_at_the_right_hour(
    client: Client, start_time: str, interval: str | None, peak: str
) -> None:
    args = {"start_time": start_time} | ({"interval": interval} if interval else {})
    text, s = await call(client, "support-bot", **args)
    assert f"Status: recovered. Error spike {peak}" in text
    (spike,) = s["incidents"]
    assert (spike["kind"], spike["ongoing"], spike["metrics"]) == ("spike", False, ["error_rate"])
    assert spike["start"].startswith("2026-11-25T03:")
    assert spike["end"] <= "2026-11-25T04:30:00Z"
    assert spike["symptoms"][0]["peak"] > 0.15


@pytest.mark.anyio
async def test_the_latency_regression_is_found_where_it_began(client: Client) -> None:
    text, s = await call(client, "checkout-agent")
    # The timeouts that made it slower also failed: a latency and an error regression, with one onset.
    regression, errors = s["incidents"]
    assert (regression["metrics"], errors["metrics"]) == (["avg_latency_ms"], ["error_rate"])
    assert regression["start"] == errors["start"] == "2026-11-24T23:00:00Z"  # 10 hours before the anchor
    assert (regression["kind"], regression["ongoing"], regression["end"]) == ("regression", True, None)
    (symptom,) = regression["symptoms"]
    assert symptom["level"] / symptom["typical"] > 2  # the levels before and after, not a mean of the two
    assert regression["traces_call"]["end_time"] == "2026-11-25T09:52:00Z"  # still going: up to the window's end
    assert s["status"] == "incident"
    assert "Latency regression, ongoing since Nov 24 23:00 UTC" in text
    assert "Error regression, ongoing since Nov 24 23:00 UTC" in text


@CI_ONLY
@pytest.mark.anyio
async def test_a_healthy_agent_has_no_anomalies_even_over_30_days_of_minutes(client: Client) -> None:
    text, s = await call(client, "weather-agent", start_time="now-30d", interval=1)
    assert s["incidents"] == []
    assert s["status"] == "healthy"
    assert "Status: healthy." in text


@pytest.mark.anyio
async def test_a_bursty_agent_shows_its_idle_stretches(client: Client) -> None:
    text, s = await call(client, "batch-agent", start_time="now-24h", interval="30m")
    assert s["idle"]["longest_minutes"] == 210  # 30 minutes of work every 4 hours
    assert "Longest idle stretch" in text


WINDOWS = [
    ("now-1h", 1),
    ("now-1h", None),
    ("now-6h", 7),
    ("now-24h", 1),
    ("now-24h", 60),
    ("now-7d", 5),
    ("now-7d", 1440),
    pytest.param("now-30d", 1, marks=CI_ONLY),
    pytest.param("now-90d", 5, marks=CI_ONLY),
    pytest.param("now-90d", 1440, marks=CI_ONLY),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("start_time", "interval"), WINDOWS)
async def test_every_window_is_bounded_and_matches_independent_sums(
    client: Client, api_url: str, start_time: str, interval: int | None
) -> None:

    from astro_mcp.sim.app import DEMO_TOKEN

    args = {"start_time": start_time} | ({"interval": interval} if interval else {})
    result = await client.call_tool("get_agent_metrics", {"account": "astro-team", "name": "support-bot", **args})
    assert result.structured_content is not None
    text = "\n".join(getattr(c, "text", "") for c in result.content)
    assert result_size(text, result.structured_content) <= BOUND
    w = result.structured_content["window"]
    async with http_client(headers={"Authorization": f"Bearer {DEMO_TOKEN}"}, timeout=60) as http:
        raw = (
            await http.get(
                f"{api_url}/agents/astro-team/support-bot/observability/metrics",
                params={"start_time": w["start"], "end_time": w["end"], "interval": w["interval_minutes"]},
            )
        ).json()["buckets"]
    totals = result.structured_content["totals"]
    assert totals["trace_count"] == sum(b["trace_count"] for b in raw)
    assert totals["error_count"] == sum(b["error_count"] for b in raw)
    assert totals["input_tokens"] == sum(b["input_tokens"] for b in raw)
    weighted = sum(b["avg_latency_ms"] * b["trace_count"] for b in raw) / totals["trace_count"]
    assert result.structured_content["avg_latency_ms"] == pytest.approx(weighted, rel=5e-4)  # 4 significant digits


@pytest.mark.parametrize(("k", "lam"), [(5, 1.0), (12, 0.3), (30, 10.0), (200, 150.0), (900, 400.0)])
def test_the_poisson_tail_matches_the_sum_of_its_terms(k: int, lam: float) -> None:
    """The error judge's tail, computed by recurrence, against each term computed on its own."""
    tail = math.fsum(math.exp(-lam + i * math.log(lam) - math.lgamma(i + 1)) for i in range(k, k + 3000))
    assert poisson_z(k, lam) == pytest.approx(-NormalDist().inv_cdf(tail), rel=1e-9)
    assert poisson_z(5, 1.0) == pytest.approx(
        -NormalDist().inv_cdf(1 - math.exp(-1) * (1 + 1 + 1 / 2 + 1 / 6 + 1 / 24))
    )


def test_a_coarser_table_keeps_every_count_and_weighs_latency_by_traces() -> None:
    buckets = [bucket(START + timedelta(hours=h), 10 * (h + 1), errors=h, latency=100.0 * (h + 1)) for h in range(5)]
    summary = summarize_at(MetricsQuery(AgentRef("a", "b"), START, START + timedelta(hours=5), 60), buckets, 60, NOW)
    halved = halved_table(summary)
    assert halved.table.interval_minutes == 120
    assert [r[1] for r in halved.table.rows] == [30, 70, 50]
    assert [r[2] for r in halved.table.rows] == [1, 5, 4]
    assert halved.table.rows[0][3] == pytest.approx((10 * 100 + 20 * 200) / 30)
    assert sum(r[4] for r in halved.table.rows) == sum(r[4] for r in summary.table.rows)
    assert halved.totals == summary.totals


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("name", "status", "says"),
    [
        (
            "support-bot",
            "recovered",
            [
                "Error spike Nov 25 03:00–04:00 UTC",
                "Over at 04:00; normal since then",
                "Now (last hour, Nov 25 08:50–09:50 UTC)",
                "Against the previous day (Nov 23 09:52 UTC → Nov 24 09:52 UTC)",
                "→ get_agent_traces(account='astro-team', name='support-bot', start_time='2026-11-25T03:00:00Z'",
            ],
        ),
        (
            "checkout-agent",
            "incident",
            [
                "Latency regression, ongoing since Nov 24 23:00 UTC",
                "was 314.7 ms (2.5x)",
                ": latency and error rate unusual (see above).",
            ],
        ),
        (
            "billing-agent",
            "incident",
            ["Error regression, ongoing since Nov 25 07:00 UTC", "error rate 7.49%, was 1.08%"],
        ),
        ("weather-agent", "healthy", ["Status: healthy.", "Against the previous day", "no significant change"]),
        ("batch-agent", "healthy", ["Status: healthy.", "Longest idle stretch"]),
        ("quiet-agent", "healthy", ["0.00% vs 0.00% (not enough traffic to tell)", "Idle: 18 of 25 buckets"]),
        ("new-agent", "no_traffic", ["Status: no_traffic.", "served no traffic in this window"]),
    ],
)
async def test_every_simulator_agent_reads_as_what_happened_to_it(
    client: Client, name: str, status: str, says: list[str]
) -> None:
    """Golden wording per agent: ended or ongoing, spike or regression, now, and the comparison with before."""
    text, s = await call(client, name)
    assert s["status"] == status
    assert s["headline"] in text
    for words in says:
        assert words in text
