"""The output model of `get_agent_metrics` (and of the summary resource): its `structuredContent` and `outputSchema`.

Field descriptions are part of the product: a model reads them, and for clients that hand the model
only `structuredContent` they are the whole explanation. Times are aware datetimes (the schema says
`format: date-time`), serialized in UTC. Measured figures are kept exact here and rounded to 4
significant digits when serialized; counts are exact integers.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, PlainSerializer

from astro_mcp.domain import Model

MIN_TRACES = 10  # a period with fewer traces is too small to judge its error rate or latency
COLUMNS = ("start", "trace_count", "error_count", "avg_latency_ms", "input_tokens", "output_tokens")


def round4(x: float) -> float:
    """`x` to 4 significant digits: what a mean of sampled traces can support."""
    return float(f"{x:.4g}")


Num = Annotated[float, PlainSerializer(round4, return_type=float, when_used="json")]
Status = Literal["healthy", "degraded", "incident", "no_traffic"]
Metric = Literal["error_rate", "avg_latency_ms"]


class Window(Model):
    start: AwareDatetime = Field(description="Start of the window (UTC)")
    end: AwareDatetime = Field(description="End of the window (exclusive, UTC)")
    interval_minutes: int = Field(description="Bucket size the API was asked for, in minutes")
    bucket_count: int = Field(description="Buckets in the window, idle ones included")


class Totals(Model):
    trace_count: int
    error_count: int
    input_tokens: int
    output_tokens: int


class TokensPerTrace(Model):
    input: Num
    output: Num


class Period(Model):
    """One period of the analysis grid, and how it compares with the typical value."""

    start: AwareDatetime = Field(description="UTC")
    minutes: int
    value: Num = Field(description="traces, error rate (0..1) or latency in ms, by context")
    baseline: Num | None = Field(description="typical value: median latency, or the pooled error rate")
    unusual: bool = Field(description="true when the value stands out from the typical one beyond chance")
    trace_count: int
    error_count: int


class Symptom(Model):
    """How one metric moved during an incident."""

    metric: Metric
    peak: Num = Field(description="worst period's value: error rate 0..1 or latency in ms")
    peak_time: AwareDatetime
    level: Num = Field(description="median value over the incident's periods (the new level of a regression)")
    typical: Num = Field(description="the typical value before / outside the incident")
    score: Num = Field(
        description="how far the peak period stands out, as a z-score: latency in robust deviations (MAD) above "
        "the typical period; errors as the normal tail as unlikely as that many errors at the typical rate. "
        "4 or more is an anomaly"
    )


class TracesCall(Model):
    """Ready-made arguments for `get_agent_traces`, to read the failed traces of an incident."""

    account: str
    name: str
    start_time: str
    end_time: str
    status: Literal["error"] = "error"


class Incident(Model):
    """A run of unusual periods; an error and a latency anomaly at the same time are one incident."""

    kind: Literal["spike", "regression"] = Field(
        description="regression: a step change that holds until the window's end; spike: a short excursion"
    )
    ongoing: bool = Field(description="true when it lasts until the window's end (it is happening now)")
    start: AwareDatetime
    end: AwareDatetime | None = Field(description="when it ended (UTC); null while ongoing")
    metrics: list[Metric]
    headline: str
    symptoms: list[Symptom]
    trace_count: int
    error_count: int
    traces_call: TracesCall


class LastPeriod(Model):
    """The last complete period against the typical values: is something wrong right now."""

    start: AwareDatetime
    end: AwareDatetime
    trace_count: int
    error_count: int
    error_rate: Num | None = Field(description="0..1; null without traces")
    avg_latency_ms: Num | None
    verdict: Literal["normal", "elevated", "too_few_traces", "no_traffic"]


class Change(Model):
    first_half: Num | None
    second_half: Num | None
    direction: Literal["up", "down", "steady", "unknown"]


class Trend(Model):
    """First half against second, robustly: periods of spikes set aside, latency as the median period."""

    traces_per_hour: Change
    error_rate: Change
    avg_latency_ms: Change
    spikes_set_aside: int = Field(description="spike periods left out; the raw halves would tell another story")


class Comparison(Model):
    """This window against an earlier one of the same length."""

    label: str = Field(description="e.g. 'the previous 24 hours', 'the same window a week earlier'")
    start: AwareDatetime
    end: AwareDatetime
    trace_count: int
    error_count: int
    error_rate: Num | None = Field(description="0..1 in the earlier window; null without traces")
    avg_latency_ms: Num | None
    tokens_per_trace: Num | None = Field(description="input + output tokens per trace in the earlier window")
    traffic_change: Num | None = Field(description="relative change in traces, now vs then: 0.25 = +25%")
    error_rate_change: Num | None = Field(description="relative change in error rate")
    latency_change: Num | None = Field(description="relative change in mean latency")
    tokens_per_trace_change: Num | None = Field(description="relative change in tokens per trace")
    error_rate_verdict: Literal["higher", "lower", "no_significant_change", "not_enough_traffic", "not_available"] = (
        Field(
            description="a two-sided test on the error counts (Poisson: errors given traces), at p < 0.01; "
            "not_available when the route counts no errors"
        )
    )
    p_value: Num | None
    rows: list[tuple[int, int, Num | None]] = Field(
        description="[trace_count, error_count, avg_latency_ms] of the earlier window, aligned index by index "
        "with table.rows"
    )


class Idle(Model):
    idle_buckets: int = Field(description="buckets with no traces (the API leaves them out)")
    longest_start: AwareDatetime | None
    longest_end: AwareDatetime | None
    longest_minutes: int


def _plain_rows(schema: dict[str, Any]) -> None:
    """Publish rows as plain arrays: per-cell schemas make clients' JSON Schema checks three times slower."""
    schema["items"] = {"type": "array"}


class Table(Model):
    interval_minutes: int = Field(description="size of one row; coarser than the data when it had too many buckets")
    columns: list[str]
    rows: list[tuple[AwareDatetime, int, int, Num | None, int, int]] = Field(
        description="one row per period, 6 values in the order of `columns`; a row with trace_count 0 is an idle "
        "period (avg_latency_ms null), not missing data",
        json_schema_extra=_plain_rows,
    )


class MetricsSummary(Model):
    """Metrics of one agent over one window, summarized from every bucket, with a verdict."""

    status: Status = Field(
        description="incident: something unusual is happening now; degraded: an incident earlier in the window, "
        "or errors significantly higher than before; healthy; no_traffic: no traces"
    )
    headline: str = Field(description="the verdict in one sentence, for a person")
    account: str
    name: str
    window: Window
    totals: Totals
    error_rate: Num | None = Field(
        description="errors / traces over the window, 0..1; null without traces or when errors_available is false"
    )
    errors_available: bool = Field(
        default=True, description="false when the API's route counts no errors: error figures are then unknown, not 0"
    )
    avg_latency_ms: Num | None = Field(description="trace-weighted mean latency in ms; null without traces")
    p95_latency_ms: Num | None = Field(
        default=None, description="95th percentile latency over the whole window, in ms; null when not available"
    )
    tokens_per_trace: TokensPerTrace | None
    traces_per_hour: Num
    analysis_minutes: int = Field(
        description="period length incidents are judged on; a shorter peak is averaged over a period this long"
    )
    now: LastPeriod | None = Field(description="the last complete period; null when the window has none")
    incidents: list[Incident] = Field(description="worst first")
    more_incidents: int = Field(description="incidents found beyond those listed")
    comparison: Comparison | None = Field(description="null when no comparison was asked for or it failed")
    busiest: Period | None
    worst_error_rate: Period | None = Field(
        description=f"the complete period with {MIN_TRACES}+ traces whose error rate stands out most; null with fewer "
        "than two such periods"
    )
    worst_latency: Period | None = Field(description="as worst_error_rate, for mean latency")
    trend: Trend
    idle: Idle
    notes: list[str]
    table: Table
