"""Wire models of the Astro observability API: data only.

They follow `MetricsResponse`, `MetricsBucket`, `TimeRange` and `Error` of the API reference, and are
lenient where the real server deviates from it: `time_range` echoes the query strings (empty when
they were omitted), and error bodies come as `{error, details}` or `{error, error_description}`.
Buckets are `TypedDict`s rather than models: a 30-day window at 1-minute buckets has 43,200 of them,
and pydantic validates typed dicts from JSON about three times faster than model instances.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

Count = Annotated[int, Field(ge=0, strict=True)]


class MetricsBucket(TypedDict):
    """One bucket of the series; buckets with no traces are left out by the API."""

    timestamp: AwareDatetime
    trace_count: Count
    avg_latency_ms: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    input_tokens: Count
    output_tokens: Count
    error_count: Count


class TimeRange(BaseModel):
    start: str = ""
    end: str = ""


class MetricsResponse(BaseModel):
    """The 200 body of `GET /agents/{account}/{name}/observability/metrics`."""

    buckets: list[MetricsBucket]
    time_range: TimeRange = TimeRange()
    interval_minutes: int = 60


class ErrorBody(BaseModel):
    """An error body in either of the server's two shapes."""

    model_config = ConfigDict(extra="ignore")

    error: str = ""
    details: str = ""
    error_description: str = ""

    @property
    def detail(self) -> str:
        return self.details or self.error_description
