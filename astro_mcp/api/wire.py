"""Wire models of the Astro API: data only, lenient where the real server deviates from its docs.

Fields nothing reads are left out (and ignored when they come), except those of `/me`, which sign-in
saves whole, as `ast` does. Error bodies come as `{error, details}` or `{error, error_description}`.
"""

from __future__ import annotations

from pydantic import Field

from astro_mcp.domain import Bucket, Received, Trace


class MetricsResponse(Received):
    """The 200 body of `GET /agents/{account}/{name}/observability/metrics`."""

    buckets: list[Bucket]
    interval_minutes: int = Field(default=60, ge=1, le=366 * 24 * 60)  # 0 would divide by zero downstream


class TracesResponse(Received):
    """The 200 body of `GET /agents/{account}/{name}/observability/traces`: one page, in no promised order."""

    traces: list[Trace] = Field(default_factory=list)
    total: int | None = None


class SummaryMetrics(Received):
    p95_latency_ms: float | None = None


class SummaryResponse(Received):
    """The 200 body of `GET /agents/{account}/{name}/observability/summary`; only the p95 is read."""

    metrics: SummaryMetrics = SummaryMetrics()


class ErrorBody(Received):
    """An error body in either of the server's two shapes."""

    error: str = ""
    details: str = ""
    error_description: str = ""

    @property
    def detail(self) -> str:
        return self.details or self.error_description


class MeAgent(Received):
    name: str
    registry: str | None = None
    build_count: int | None = None
    published_version_count: int | None = None


class MeAccount(Received):
    name: str
    id: str | None = None
    type: str | None = None
    role: str | None = None
    workos_org_id: str | None = None  # organization accounts: the scope a refreshed token is minted for
    agents: list[MeAgent] = Field(default_factory=list)


class MeResponse(Received):
    """The 200 body of `GET /me`: the signed-in user, their accounts and the agents of each."""

    user: dict[str, object] = Field(default_factory=dict)
    accounts: list[MeAccount] = Field(default_factory=list)


class Deployment(Received):
    """One active deployment, in the docs' shape or the CLI's (`id`, `display_name`): both are optional here."""

    name: str = ""
    id: str | None = None
    display_name: str | None = None
    status: str | None = None
    created_at: str | None = None

    def serves(self, agent: str) -> bool:
        """Whether this deployment runs `agent`, matched by name or display name as the CLI does."""
        return agent in (self.name, self.display_name)


class DeploymentsResponse(Received):
    """The 200 body of `GET /deployments?account=`."""

    deployments: list[Deployment] = Field(default_factory=list)
