"""Incidents and comparisons: what is wrong now, since when, and against before."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from astro_mcp.analysis.compare import Reference, rate_test
from astro_mcp.analysis.grid import nice_step
from astro_mcp.analysis.summarize import summarize
from astro_mcp.domain import AgentRef, Bucket, MetricsQuery
from astro_mcp.render.metrics import render
from tests.support import examples

START = datetime(2026, 11, 1, tzinfo=UTC)
HINTS = ("the worst hour may be higher: zoom in with start_time/end_time", "too few to tell a peak")


def steady(
    start: datetime,
    minutes: int,
    interval: int,
    seed: int,
    per_minute: float = 5.0,
    spike: tuple[datetime, datetime] | None = None,
    latency: dict[int, float] | None = None,
) -> list[Bucket]:
    """Steady traffic at 1% errors and about 200 ms; `spike` planted at 40% errors; `latency` sets chosen buckets."""
    rng = random.Random(seed)
    out: list[Bucket] = []
    for i in range(-(-minutes // interval)):
        at = start + timedelta(minutes=i * interval)
        traces = max(1, round(rng.gauss(per_minute * interval, math.sqrt(per_minute * interval))))
        inside = 0
        if spike is not None:
            overlap = min(at + timedelta(minutes=interval), spike[1]) - max(at, spike[0])
            inside = round(traces * max(0.0, overlap / timedelta(minutes=interval)))
        expected = 0.01 * (traces - inside) + 0.4 * inside
        errors = min(traces, max(0, round(rng.gauss(expected, math.sqrt(expected)))))
        mean = (latency or {}).get(i, 200.0 * rng.lognormvariate(0, 0.03))
        out.append(
            {
                "timestamp": at,
                "trace_count": traces,
                "avg_latency_ms": mean,
                "input_tokens": traces * 900,
                "output_tokens": traces * 300,
                "error_count": errors,
            }
        )
    return out


def query(minutes: int, interval: int) -> MetricsQuery:
    return MetricsQuery(AgentRef("a", "b"), START, START + timedelta(minutes=minutes), interval)


@given(
    minutes=st.integers(60, 90 * 1440),
    interval=st.integers(1, 1440),
    where=st.floats(0.3, 0.9),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_planted_spike_is_named_at_its_time_or_the_text_says_how_to_zoom_in(
    minutes: int, interval: int, where: float, seed: int
) -> None:
    interval = min(interval, minutes)
    if minutes / interval > 20_000:
        interval = math.ceil(minutes / 20_000)
    lasts = timedelta(minutes=min(60, minutes // 4))
    begins = START + timedelta(minutes=int(minutes * where))
    buckets = steady(START, minutes, interval, seed, spike=(begins, begins + lasts))
    summary = summarize(query(minutes, interval), buckets, interval)
    text = render(summary, "astro://x")
    found = [
        i
        for i in summary.incidents
        if "error_rate" in i.metrics and i.start <= begins + lasts and (i.end is None or i.end >= begins)
    ]
    if not found:
        assert any(hint in summary.headline for hint in HINTS), text[:600]
        assert any(hint in text for hint in HINTS)
    else:
        # the status is the agent's now: recovered within a day of the spike's end, healthy after
        ended = found[0].end
        recent = ended is not None and (START + timedelta(minutes=minutes) - ended) <= timedelta(days=1)
        assert summary.status in (("recovered", "incident") if recent else ("healthy", "recovered", "incident"))
        assert found[0].headline in text


@pytest.mark.parametrize("interval", [7, 14, 21, 27, 28, 54, 64, 108, 112])
def test_odd_intervals_keep_analysis_periods_near_the_size_needed(interval: int) -> None:
    buckets = steady(START, 1440, interval, 1, spike=(START + timedelta(hours=15), START + timedelta(hours=16)))
    summary = summarize(query(1440, interval), buckets, interval)
    assert summary.analysis_minutes <= 2 * interval
    (incident,) = summary.incidents
    assert incident.start <= START + timedelta(hours=16)
    assert incident.end is not None
    assert incident.end >= START + timedelta(hours=15)
    assert summary.table.rows[0][0] >= START - timedelta(minutes=summary.table.interval_minutes)
    assert len(summary.table.rows) > 2


def test_a_round_step_is_taken_only_when_it_is_near() -> None:
    assert nice_step(60 * 5, 5) == 30 * 60  # 25 minutes needed: 30 is near
    assert nice_step(60 * 7, 1) == 7 * 60  # the first round multiple of 7 minutes is a week: not near
    assert nice_step(60 * 64, 1) == 64 * 60


def test_an_incident_is_scored_by_its_peak_not_its_first_period() -> None:
    latency = {10: 400.0, 11: 900.0, 12: 400.0}
    buckets = steady(START, 24 * 60, 60, 2, per_minute=2, latency=latency)
    for b in buckets:  # a flat 200 ms, a little spread, except the run
        b["avg_latency_ms"] = latency.get(buckets.index(b), 200.0 + buckets.index(b) % 3)
    summary = summarize(query(24 * 60, 60), buckets, 60)
    (incident,) = summary.incidents
    (symptom,) = incident.symptoms
    assert symptom.peak == 900.0
    assert symptom.peak_time == START + timedelta(hours=11)
    assert symptom.score >= 4


def test_an_error_and_a_latency_spike_in_the_same_hour_are_both_named_at_that_hour() -> None:
    at = START + timedelta(hours=9)
    buckets = steady(START, 1440, 60, 3, spike=(at, at + timedelta(hours=1)), latency={9: 700.0})
    summary = summarize(query(1440, 60), buckets, 60)
    assert sorted(i.metrics[0] for i in summary.incidents) == ["avg_latency_ms", "error_rate"]
    assert all((i.kind, i.start, i.end) == ("spike", at, at + timedelta(hours=1)) for i in summary.incidents)
    assert "(+1 other incident)" in summary.headline


def test_a_step_that_holds_is_a_regression_with_its_levels_and_the_now_line_says_so() -> None:
    latency = {h: 600.0 + h for h in range(16, 24)}
    buckets = steady(START, 1440, 60, 4, latency=latency)
    summary = summarize(query(1440, 60), buckets, 60)
    (incident,) = summary.incidents
    assert (incident.kind, incident.ongoing, incident.end) == ("regression", True, None)
    assert incident.start == START + timedelta(hours=16)
    (symptom,) = incident.symptoms
    assert symptom.level == pytest.approx(620, abs=5)
    assert symptom.typical == pytest.approx(200, rel=0.05)
    assert summary.status == "incident"
    assert summary.now is not None
    assert summary.now.verdict == "elevated"
    assert "ongoing since Nov 01 16:00 UTC" in summary.headline


def test_a_spike_that_ended_is_not_a_trend() -> None:
    at = START + timedelta(hours=6)
    buckets = steady(START, 1440, 60, 5, spike=(at, at + timedelta(hours=2)))
    summary = summarize(query(1440, 60), buckets, 60)
    assert summary.trend.error_rate.direction == "steady"
    assert summary.trend.spikes_set_aside == 2
    assert "Over at Nov 01 08:00; normal since then" in summary.headline  # dated: the window ends on Nov 02


def test_a_window_that_is_elevated_throughout_is_judged_against_the_window_before() -> None:
    before = steady(START - timedelta(hours=6), 360, 15, 6)
    now = steady(START, 360, 15, 7, latency=dict.fromkeys(range(24), 500.0))
    reference = Reference("the previous 6 hours", START - timedelta(hours=6), START, before, 15, contiguous=True)
    summary = summarize(query(360, 15), now, 15, reference)
    assert summary.status == "incident"
    assert summary.incidents[0].kind == "regression"
    assert summary.comparison is not None
    assert summary.comparison.latency_change == pytest.approx(1.5, rel=0.05)
    alone = summarize(query(360, 15), now, 15)
    assert alone.status == "healthy"  # without the window before, a level that never changed is all there is


def test_comparison_rows_line_up_with_the_table() -> None:
    before = steady(START - timedelta(days=1), 1440, 60, 8)
    reference = Reference("the previous day", START - timedelta(days=1), START, before, 60, contiguous=True)
    summary = summarize(query(1440, 60), steady(START, 1440, 60, 9), 60, reference)
    assert summary.comparison is not None
    assert [r[0] for r in summary.comparison.rows] == [b["trace_count"] for b in before]
    assert len(summary.comparison.rows) == len(summary.table.rows)


@pytest.mark.parametrize(
    ("now", "before", "verdict"),
    [
        ((60, 2000), (20, 2000), "higher"),
        ((5, 2000), (40, 2000), "lower"),
        ((22, 2000), (20, 2000), "no_significant_change"),
        ((1, 10), (0, 12), "not_enough_traffic"),
        ((0, 50), (0, 50), "not_enough_traffic"),
        ((3, 100), (0, 0), "not_enough_traffic"),
    ],
)
def test_the_error_rate_change_is_a_test_on_counts(now: tuple[int, int], before: tuple[int, int], verdict: str) -> None:
    assert rate_test(*now, *before)[0] == verdict


def test_the_rate_test_p_value_matches_the_binomial_sum() -> None:
    e1, n1, e0, n0 = 30, 1000, 15, 1200
    m, share = e1 + e0, n1 / (n1 + n0)
    upper = sum(math.comb(m, i) * share**i * (1 - share) ** (m - i) for i in range(e1, m + 1))
    _, p = rate_test(e1, n1, e0, n0)
    assert p == pytest.approx(min(1.0, 2 * upper), rel=1e-3)


def test_no_traffic_gets_no_partial_bucket_notes_and_odd_sizes_read_in_units() -> None:
    odd = MetricsQuery(AgentRef("a", "b"), START + timedelta(minutes=7), START + timedelta(minutes=7 + 1743), 1743)
    empty = summarize(odd, [], 1743)
    assert empty.status == "no_traffic"
    assert empty.notes == []
    text = render(empty, "astro://x")
    assert "(1 day 5 hours, buckets of 1 day 5 hours)" in text
    assert "1743" not in text
