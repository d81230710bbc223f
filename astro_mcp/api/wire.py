"""Wire models of the Astro API: data only, lenient where the real server deviates from its docs.

`time_range` echoes the query strings (empty when they were omitted) and is not read; error bodies
come as `{error, details}` or `{error, error_description}`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from astro_mcp.domain import Bucket, Trace


class MetricsResponse(BaseModel):
    """The 200 body of `GET /agents/{account}/{name}/observability/metrics`."""

    model_config = ConfigDict(extra="ignore")

    buckets: list[Bucket]
    interval_minutes: int = 60


class TracesResponse(BaseModel):
    """The 200 body of `GET /agents/{account}/{name}/observability/traces`: one page, in no promised order."""

    model_config = ConfigDict(extra="ignore")

    traces: list[Trace] = []
    total: int | None = None


class SummaryMetrics(BaseModel):
    model_config = ConfigDict(extra="ignore")

    p95_latency_ms: float | None = None


class SummaryResponse(BaseModel):
    """The 200 body of `GET /agents/{account}/{name}/observability/summary`; only the p95 is read."""

    model_config = ConfigDict(extra="ignore")

    total_traces: int | None = None
    metrics: SummaryMetrics = SummaryMetrics()


class ErrorBody(BaseModel):
    """An error body in either of the server's two shapes."""

    model_config = ConfigDict(extra="ignore")

    error: str = ""
    details: str = ""
    error_description: str = ""

    @property
    def detail(self) -> str:
        return self.details or self.error_description
