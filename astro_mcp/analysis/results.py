"""The output models: what a tool returns as `structuredContent`, and so its `outputSchema`.

Field descriptions are part of the product: a model reads them. Times are aware datetimes (the
schema says `format: date-time`), serialized in UTC.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field

MIN_TRACES = 10  # a period with fewer traces is too small to judge its error rate or latency
_WORST = f"the period with {MIN_TRACES}+ traces whose {{}} stands out most; null with fewer than two such periods"
COLUMNS = ("start", "trace_count", "error_count", "avg_latency_ms", "input_tokens", "output_tokens")


class Window(BaseModel):
    start: AwareDatetime = Field(description="Start of the window (UTC)")
    end: AwareDatetime = Field(description="End of the window (exclusive, UTC)")
    interval_minutes: int = Field(description="Bucket size the API was asked for, in minutes")
    bucket_count: int = Field(description="Buckets in the window, idle ones included")


class Totals(BaseModel):
    trace_count: int
    error_count: int
    input_tokens: int
    output_tokens: int


class TokensPerTrace(BaseModel):
    input: float
    output: float


class Period(BaseModel):
    """One period of the analysis grid, and how it compares with the window's typical period."""

    start: AwareDatetime = Field(description="UTC")
    minutes: int
    value: float = Field(description="traces, error rate (0..1) or latency in ms, by context")
    baseline: float | None = Field(
        description="typical value: median latency, or the pooled error rate, of periods with enough traces"
    )
    trace_count: int
    error_count: int


class Anomaly(BaseModel):
    """A run of consecutive periods whose error rate (Poisson tail) or latency (median + MAD) stands out."""

    metric: Literal["error_rate", "avg_latency_ms"]
    start: AwareDatetime = Field(description="UTC")
    end: AwareDatetime = Field(description="UTC, exclusive")
    peak_time: AwareDatetime
    peak: float
    baseline: float
    score: float = Field(
        description="how far the peak stands out, as a z-score: for latency, robust deviations (MAD) above the "
        "median; for errors, how unlikely that many errors are at the typical rate"
    )
    trace_count: int
    error_count: int


class Change(BaseModel):
    first_half: float | None
    second_half: float | None
    direction: Literal["up", "down", "steady", "unknown"]


class Trend(BaseModel):
    traces_per_hour: Change
    error_rate: Change
    avg_latency_ms: Change


class Idle(BaseModel):
    idle_buckets: int = Field(description="buckets with no traces (the API leaves them out)")
    longest_start: AwareDatetime | None
    longest_end: AwareDatetime | None
    longest_minutes: int


def _plain_rows(schema: dict[str, Any]) -> None:
    """Publish rows as plain arrays: per-cell schemas make clients' JSON Schema checks three times slower."""
    schema["items"] = {"type": "array"}


class Table(BaseModel):
    interval_minutes: int = Field(description="size of one row; coarser than the data when it had too many buckets")
    columns: list[str]
    rows: list[tuple[AwareDatetime, int, int, float | None, int, int]] = Field(
        description="one row per period, 6 values in the order of `columns`; avg_latency_ms rounded to 0.1 ms, "
        "null when the period had no traces",
        json_schema_extra=_plain_rows,
    )


class MetricsSummary(BaseModel):
    """Metrics of one agent over one window, summarized from every bucket."""

    account: str
    name: str
    window: Window
    totals: Totals
    error_rate: float | None = Field(
        description="errors / traces over the window, 0..1; null without traces or when errors_available is false"
    )
    errors_available: bool = Field(
        default=True, description="false when the API's route counts no errors: error figures are then unknown, not 0"
    )
    avg_latency_ms: float | None = Field(description="trace-weighted mean latency; null without traces")
    p95_latency_ms: float | None = Field(
        default=None,
        description="95th percentile latency over the whole window (the API's summary; buckets carry only means, "
        "so there is no p95 per period); null when not available",
    )
    tokens_per_trace: TokensPerTrace | None
    traces_per_hour: float
    analysis_minutes: int = Field(description="period length used for peaks and anomalies")
    busiest: Period | None
    quietest: Period | None = Field(
        description="quietest complete period that had traffic; null when that is the busiest period"
    )
    worst_error_rate: Period | None = Field(description=_WORST.format("error rate"))
    worst_latency: Period | None = Field(description=_WORST.format("mean latency"))
    anomalies: list[Anomaly]
    more_anomalies: int = Field(description="anomalies found beyond those listed")
    trend: Trend
    idle: Idle
    notes: list[str]
    table: Table
