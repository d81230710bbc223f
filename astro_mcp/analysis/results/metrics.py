"""The output model of `get_agent_metrics` (and of the summary resource): its `structuredContent` and `outputSchema`.

Field descriptions are part of the product: a model reads them, and for clients that hand the model
only `structuredContent` they are the whole explanation. Times are aware datetimes (the schema says
`format: date-time`), serialized in UTC. Measured figures are kept exact here and rounded to 4
significant digits when serialized; counts are exact integers.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, Field

from astro_mcp.analysis.results.context import IncidentContext
from astro_mcp.analysis.results.cost import Cost, IncidentCost
from astro_mcp.analysis.results.figures import Num
from astro_mcp.analysis.results.figures import round4 as round4
from astro_mcp.analysis.results.span import Span
from astro_mcp.domain import Model

MIN_TRACES = 10  # a period with fewer traces is too small to judge its error rate or latency
COLUMNS = ("start", "trace_count", "error_count", "avg_latency_ms", "input_tokens", "output_tokens")


Status = Literal["outage", "incident", "degraded", "recovered", "healthy", "no_traffic"]
Metric = Literal["error_rate", "avg_latency_ms"]
Signal = Literal["error_rate", "avg_latency_ms", "tokens_per_trace", "traffic"]
Kind = Literal["spike", "regression", "drift", "flapping", "silence", "recovered"]
State = Literal["ongoing", "over", "recurring"]


class Window(Span):
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
    baseline: Num | None = Field(description="typical value: the agent's typical level, as its verdict uses")
    unusual: bool = Field(description="true when the value stands out from the typical one beyond chance")
    trace_count: int
    error_count: int


class Symptom(Model):
    """How one signal moved during an incident."""

    metric: Signal
    peak: Num = Field(
        description="worst period's value: error rate 0..1, latency in ms, tokens per trace, or traces (traffic)"
    )
    peak_time: AwareDatetime
    level: Num = Field(
        description="the level during the incident, pooled over its bad periods (traffic: traces per hour)"
    )
    typical: Num = Field(
        description="the typical value: the agent's lowest sustained level (traffic: what it normally sends then)"
    )
    score: Num = Field(
        description="how far the incident stands out, as a z-score of its pooled evidence (errors and traffic: "
        "counts against the typical rate; means: in trace-weighted noise). 4 or more is an anomaly"
    )


class TracesCall(Model):
    """Ready-made arguments for `get_agent_traces`, to read the traces that show an incident: the failed ones
    across its whole window, the slowest for latency, all of them (newest first) otherwise."""

    account: str
    name: str
    start_time: str
    end_time: str
    status: Literal["error", "ok", "all"] = "error"
    order: Literal["newest", "slowest", "spread"] = "newest"


class Incident(Model):
    """One episode of one signal, named as an on-call engineer would: its kind, its state now, and its evidence."""

    kind: Kind = Field(
        description="spike: came and went; regression: a step that holds; drift: a steady rise (see per_hour); "
        "flapping: bad stretches alternating with clean ones; silence: traffic stopped or collapsed against "
        "what the agent sends at those hours (an outage); recovered: bad for hours or days, fine since"
    )
    state: State = Field(
        description="ongoing: still now; recurring (flapping): not clean yet for three of its own cycles; over"
    )
    ongoing: bool = Field(description="true unless it is over")
    start: AwareDatetime = Field(description="its onset (UTC), to the resolution the data supports")
    end: AwareDatetime | None = Field(
        description="when it ended, or (recurring) when its latest bad stretch ended; null while ongoing"
    )
    metrics: list[Signal]
    headline: str
    evidence: str = Field(description="the counts behind it, e.g. '312 errors in 2,410 traces (12.9%)'")
    per_hour: Num | None = Field(default=None, description="drift: relative rise per hour (0.03 = +3% an hour)")
    cycle_minutes: int | None = Field(default=None, description="flapping: minutes from one bad stretch to the next")
    symptoms: list[Symptom]
    trace_count: int
    error_count: int
    traces_call: TracesCall
    context: IncidentContext | None = Field(
        default=None, description="what the platform knew around the onset: deploys, alerts, events, the failing step"
    )
    cost: IncidentCost | None = Field(default=None, description="estimated; null where the platform gives no cost")


class BaselineUsed(Model):
    """What the verdict was judged against."""

    description: str = Field(description="which data the baseline was learnt from, and how")
    data_since: AwareDatetime | None = Field(description="the first trace in that data; null without any")
    new_agent: bool = Field(description="its data begins less than two days ago: no baseline yet")
    error_rate: Num | None = Field(description="typical error rate, 0..1")
    avg_latency_ms: Num | None = Field(description="typical period's mean latency")
    tokens_per_trace: Num | None = Field(description="typical input + output tokens per trace")
    traces_per_hour: Num | None = Field(
        description="traces the agent normally sends in the hour `now` covers (else the hour before now)"
    )


class LastPeriod(Span):
    """The last complete period against the typical values: is something wrong right now."""

    trace_count: int
    error_count: int
    error_rate: Num | None = Field(description="0..1; null without traces")
    avg_latency_ms: Num | None
    tokens_per_trace: Num | None = None
    usual_traces: Num | None = Field(default=None, description="traces the agent usually sends at these hours")
    verdict: Literal["normal", "elevated", "too_few_traces", "no_traffic"] = Field(
        description="elevated when an incident is ongoing or recurring now; judged the same whatever the window"
    )
    unusual: list[str] = Field(default=[], description="what is unusual now (with verdict elevated)")


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


class Comparison(Span):
    """This window against an earlier one of the same length."""

    label: str = Field(description="e.g. 'the previous 24 hours', 'the same window a week earlier'")
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
    abnormal: str | None = Field(
        default=None,
        description="set when the earlier window was itself abnormal: what was wrong in it, and the agent's "
        "normal level to compare with instead",
    )
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
        description="the agent now, the same whatever the window: outage (silent against its usual traffic); "
        "incident (errors or latency unusual now, or flapping); degraded (only tokens per trace unusual now); "
        "recovered (something ended within the last day); healthy; no_traffic (no traces at all)"
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
    now: LastPeriod | None = Field(
        description="the most recent hour at fine resolution, whatever the window; null without data"
    )
    baseline: BaselineUsed | None = Field(default=None, description="what the verdict was judged against")
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
    cost: Cost | None = Field(default=None, description="what the agent cost; null when cost was not asked for")
