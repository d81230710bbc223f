"""The output model of `get_account_overview`: one row per agent, worst first."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from astro_mcp.domain import Model

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
    kind: str | None = Field(default=None, description="the kind of the incident that sets its status, if any")
    change: str | None = Field(default=None, description="against the period before the window; null when unknown")
    sparkline: list[int] = Field(default=[], description="trace counts per period of the window")
    error: str | None = Field(default=None, description="why its metrics could not be read (status failed)")


class OverviewWindow(Model):
    start: AwareDatetime = Field(description="UTC")
    end: AwareDatetime = Field(description="UTC, exclusive")


class AccountOverview(Model):
    """Every agent of one account over one window, worst first."""

    account: str
    window: OverviewWindow
    status: RowStatus = Field(description="the worst status among the agents")
    headline: str
    agents: list[AgentRow] = Field(description="every agent, worst first")
    more_agents: int = Field(description="agents left out of the text answer for its size (all are listed here)")
    notes: list[str]
