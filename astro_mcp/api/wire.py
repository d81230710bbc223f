"""Wire models of the Astro API: data only, lenient where the real server deviates from its docs.

`time_range` echoes the query strings (empty when they were omitted) and is not read; error bodies
come as `{error, details}` or `{error, error_description}`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from astro_mcp.domain import Bucket


class MetricsResponse(BaseModel):
    """The 200 body of `GET /agents/{account}/{name}/observability/metrics`."""

    model_config = ConfigDict(extra="ignore")

    buckets: list[Bucket]
    interval_minutes: int = Field(default=60, ge=1, le=366 * 24 * 60)  # 0 would divide by zero downstream


class ErrorBody(BaseModel):
    """An error body in either of the server's two shapes."""

    model_config = ConfigDict(extra="ignore")

    error: str = ""
    details: str = ""
    error_description: str = ""

    @property
    def detail(self) -> str:
        return self.details or self.error_description
