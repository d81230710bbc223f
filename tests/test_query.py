"""Resolving what a model sends into a checked query, and the words used to refuse it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from astro_mcp.domain import MetricsQuery
from astro_mcp.errors import QueryError
from astro_mcp.query.slugs import check_slug
from astro_mcp.query.times import parse_interval
from astro_mcp.query.window import grid_bucket_count, resolve_query
from tests.support import NOW, examples

MINUTE_NOW = NOW.replace(second=0)


def resolve(
    start: str | None = None, end: str | None = None, interval: int | float | str | None = None
) -> MetricsQuery:
    return resolve_query(
        "astro-team", "weather-agent", start, end, interval, now=NOW, max_window_days=90, max_buckets=50_000
    )


def refusal(start: str | None = None, end: str | None = None, interval: int | float | str | None = None) -> str:
    with pytest.raises(QueryError) as caught:
        resolve(start, end, interval)
    return str(caught.value)


def test_defaults_are_the_last_24_hours_ending_now_in_60_minute_buckets() -> None:
    q = resolve()
    assert (q.start, q.end, q.interval_minutes) == (MINUTE_NOW - timedelta(days=1), MINUTE_NOW, 60)


@pytest.mark.parametrize(
    ("start", "end", "expected_start", "expected_end"),
    [
        ("now-15m", None, MINUTE_NOW - timedelta(minutes=15), MINUTE_NOW),
        ("now-6h", "now", MINUTE_NOW - timedelta(hours=6), MINUTE_NOW),
        ("now-7d", None, MINUTE_NOW - timedelta(days=7), MINUTE_NOW),
        ("now-2w", None, MINUTE_NOW - timedelta(weeks=2), MINUTE_NOW),
        ("24h", "now-1d", MINUTE_NOW - timedelta(days=2), MINUTE_NOW - timedelta(days=1)),
        ("last 3 hours", None, MINUTE_NOW - timedelta(hours=3), MINUTE_NOW),
        (
            "2026-11-24T08:00:00Z",
            "2026-11-24T10:30:00+02:00",
            datetime(2026, 11, 24, 8, tzinfo=UTC),
            datetime(2026, 11, 24, 8, 30, tzinfo=UTC),
        ),
        ("2026-11-24T08:00:00", None, datetime(2026, 11, 24, 8, tzinfo=UTC), MINUTE_NOW),  # no offset: UTC
        ("2026-11-24", "2026-11-24 12:00", datetime(2026, 11, 24, tzinfo=UTC), datetime(2026, 11, 24, 12, tzinfo=UTC)),
        ("2026-11-24T08:00:59.9Z", None, datetime(2026, 11, 24, 8, tzinfo=UTC), MINUTE_NOW),  # floored to the minute
    ],
)
def test_time_forms_resolve_against_one_reading_of_the_clock(
    start: str, end: str | None, expected_start: datetime, expected_end: datetime
) -> None:
    q = resolve(start, end)
    assert (q.start, q.end) == (expected_start, expected_end)


@pytest.mark.parametrize(
    ("value", "minutes"), [(60, 60), (60.0, 60), ("60", 60), ("15m", 15), ("1h", 60), ("1d", 1440), (" 2 hours ", 120)]
)
def test_intervals_accept_what_a_model_naturally_sends(value: int | float | str, minutes: int) -> None:
    assert parse_interval(value) == minutes


@pytest.mark.parametrize(
    ("start", "interval"),
    [
        ("now-1h", 5),
        ("now-6h", 15),
        ("now-24h", 60),
        ("now-7d", 60),
        ("now-8d", 60),
        ("now-9d", 360),
        ("now-30d", 1440),
    ],
)
def test_the_default_interval_gives_a_readable_number_of_buckets(start: str, interval: int) -> None:
    assert resolve(start).interval_minutes == interval


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("the other day",),  # 'yesterday' is understood (midnight UTC): see test_arguments
            ["start_time='the other day' is not a time I can read", "'now-6h'", "Example: start_time='now-24h'"],
        ),
        ((None, "noon"), ["end_time='noon' is not a time", "Example: end_time='now'"]),
        ((None, "24h"), ["end_time='24h' is a duration", "Example: start_time='24h', end_time='now'"]),
        (("now-1h", "now-2h"), ["must be after start_time", "Did you mean start_time='now-2h', end_time='now-1h'?"]),
        (("now+1h",), ["not in the past", "start_time='now-24h'"]),
        (("now-91d",), ["longest allowed is 90 days", "start_time='now-90d'"]),
        (("now-1h", None, 0), ["interval=0 is too small", "at least 1 minute"]),
        (("now-1h", None, "30s"), ["smallest bucket is 1 minute", "Example: interval='15m'"]),
        (("now-1h", None, "often"), ["interval='often' is not a bucket size", "'15m', '1h'"]),
        (("now-1h", None, 1.5), ["not a whole number of minutes"]),
        (("now-1h", None, True), ["interval=True is not a bucket size"]),
        (("now-6h", None, "1d"), ["longer than the 6 hours window", "Use interval=15 or any value up to 360"]),
        (("now-60d", None, 1), ["86,400 buckets, more than the 50,000 allowed", "Use interval=5 (5 minutes)"]),
        (("1969-12-31T00:00:00Z",), ["before 1970"]),
        (("now-9999999w",), ["too far from now"]),
        (("now-3fortnights",), ["unknown unit 'fortnights'", "m (minutes), h (hours)"]),
        (("2026-11-25T09:52:29Z",), ["holds no whole minute", "start_time='now-15m'"]),
    ],
)
def test_refusals_say_what_is_wrong_and_give_a_working_example(
    args: tuple[str | None, ...], expected: list[str]
) -> None:
    message = refusal(*args)
    for fragment in expected:
        assert fragment in message


def test_empty_strings_mean_the_defaults() -> None:
    assert resolve("", " ", "") == resolve()


def test_an_end_in_the_future_is_clamped_to_now_with_a_note() -> None:
    q = resolve("now-1h", "2026-11-25T12:00:00Z")
    assert q.end == MINUTE_NOW
    assert q.notes == (
        "end_time 2026-11-25T12:00:00Z is in the future; the window ends now (2026-11-25T09:52:30Z) instead.",
    )


def test_a_slug_with_uppercase_or_spaces_gets_a_suggestion() -> None:
    with pytest.raises(QueryError, match="Did you mean account='astro-team'"):
        check_slug("account", " Astro Team")
    with pytest.raises(QueryError, match="not a valid Astro agent name"):
        check_slug("name", "../etc")


times = st.one_of(
    st.none(),
    st.sampled_from(["now", "now-1h", "7d", "now-90d", "2026-11-20T00:00:00Z", "2026-11-25T09:52:29Z", "x"]),
    st.datetimes(min_value=datetime(1960, 1, 1), max_value=datetime(2030, 1, 1)).map(lambda d: d.isoformat()),
    st.text(max_size=30),
)
intervals = st.one_of(
    st.none(), st.integers(-10, 200_000), st.floats(allow_nan=True), st.text(max_size=12), st.sampled_from(["1h", "5m"])
)


@given(start=times, end=times, interval=intervals)
@settings(max_examples=examples(1000), deadline=None)
def test_any_input_is_either_a_valid_query_or_a_query_error(
    start: str | None, end: str | None, interval: int | float | str | None
) -> None:
    try:
        q = resolve(start, end, interval)
    except QueryError:
        return
    assert q.start < q.end <= NOW
    assert q.start.second == q.end.second == 0
    assert q.start.tzinfo is UTC
    assert q.end - q.start <= timedelta(days=90, minutes=1)
    assert 1 <= q.interval_minutes <= (q.end - q.start).total_seconds() / 60
    assert grid_bucket_count(q.start, q.end, q.interval_minutes) <= 50_000


def test_an_empty_window_is_not_answered_with_a_swap_that_stays_empty() -> None:
    message = refusal("2026-11-24 10:00", "2026-11-24T12:00:00+02:00")  # the same moment, written two ways
    assert "end_time (2026-11-24T10:00:00Z) must be after start_time (2026-11-24T10:00:00Z)" in message
    assert "Did you mean" not in message
    assert "Example: start_time='now-24h', end_time='now'" in message
