"""Wire models of the Astro API: data only, lenient where the real server deviates from its docs.

`time_range` echoes the query strings (empty when they were omitted) and is not read; error bodies
come as `{error, details}` or `{error, error_description}`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from astro_mcp.domain import Bucket


class MetricsResponse(BaseModel):
    """The 200 body of `GET /agents/{account}/{name}/observability/metrics`."""

    model_config = ConfigDict(extra="ignore")

    buckets: list[Bucket]
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


class MeAccount(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = ""
    name: str
    type: str = ""
    role: str = ""
    workos_org_id: str | None = None


class MeResponse(BaseModel):
    """The 200 body of `GET /me`: the signed-in user and the accounts they belong to."""

    model_config = ConfigDict(extra="ignore")

    user: dict[str, object] = {}
    accounts: list[MeAccount] = []
