"""The output model of `get_account_overview`: one row per agent, worst first."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from astro_mcp.analysis.results.context import IncidentContext
from astro_mcp.analysis.results.span import Span
from astro_mcp.domain import Model

Sort = Literal["attention", "cost", "cost_per_trace", "traces", "name"]
RowStatus = Literal["outage", "incident", "failed", "degraded", "no_traffic", "recovered", "healthy", "not_deployed"]


class AgentRow(Model):
    name: str
    status: RowStatus = Field(description="failed: its metrics could not be read; not_deployed: registered only")
    headline: str = Field(description="one sentence for a person")
    reason: str | None = Field(default=None, description="why it needs attention, in one line; null when it does not")
    trace_count: int | None = Field(default=None, description="traces in the window; null when unknown")
    error_rate: float | None = Field(
        default=None, description="0..1; null without traces, or when the route counts no errors"
    )
    avg_latency_ms: float | None = Field(default=None, description="trace-weighted mean; null without traces")
    tokens_per_trace: float | None = Field(default=None, description="input + output tokens per trace")
    cost_usd: float | None = Field(default=None, description="exact; null where the platform gives none")
    cost_per_trace_usd: float | None = None
    kind: str | None = Field(default=None, description="the kind of the incident that sets its status, if any")
    change: str | None = Field(default=None, description="against the period before the window; null when unknown")
    sparkline: list[int] = Field(default=[], description="trace counts per period of the window")
    error: str | None = Field(default=None, description="why its metrics could not be read (status failed)")
    context: IncidentContext | None = Field(
        default=None,
        description="what the platform knew around the onset of its incident (deploys, alerts, events, restarts), "
        "briefly: for the first few agents of the page that need attention; null for the others",
    )


class OverviewWindow(Span):
    """The window every row is about."""


class AccountOverview(Model):
    """Every agent of one account over one window, worst first, a page at a time; the verdict is the account's."""

    status: RowStatus = Field(description="the worst status among all the agents")
    headline: str
    account: str
    window: OverviewWindow
    cost_usd: float | None = Field(default=None, description="the account's, exact; null where not available")
    cost_change: float | None = Field(default=None, description="against the window before, estimated from tokens")
    cost_note: str | None = None
    sort: str = "attention"
    agents: list[AgentRow] = Field(description="this page's agents, in `sort` order")
    offset: int = Field(default=0, description="rank of this page's first agent, 0 for the first")
    more_agents: int = Field(description="agents on the pages after this one")
    more_by_status: dict[str, int] = Field(default={}, description="those agents, counted by status")
    next_cursor: str | None = Field(default=None, description="pass as `cursor` for the next page; null on the last")
    notes: list[str]
