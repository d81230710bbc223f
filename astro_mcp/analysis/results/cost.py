"""What an agent, an incident and an account cost: the output models, each figure marked exact or estimated."""

from __future__ import annotations

from pydantic import Field

from astro_mcp.analysis.results.figures import Num
from astro_mcp.domain import Model


class Cost(Model):
    """The window's cost from the platform's cost summary (exact), and against the window compared with."""

    available: bool = Field(description="false where the platform gives no cost: every figure is then null")
    total_usd: Num | None = Field(default=None, description="exact: the platform's cost over the window, USD")
    per_trace_usd: Num | None = Field(default=None, description="exact: total_usd over the traces it counted")
    before_total_usd: Num | None = Field(default=None, description="the compared window's cost")
    before_per_trace_usd: Num | None = None
    before_estimated: bool = Field(
        default=False, description="true when the before figures are its tokens at this window's price per token"
    )
    per_trace_change: Num | None = Field(default=None, description="relative change in cost per trace, now vs then")
    usd_per_million_tokens: Num | None = Field(
        default=None, description="the window's cost over its tokens: the price every estimate uses"
    )
    note: str = Field(description="where the figures come from, or why there are none, in one line")


class IncidentCost(Model):
    """An estimate: the incident's traces at the window's price per token."""

    usd: Num = Field(description="estimated cost of the incident's traces, USD")
    excess_usd: Num | None = Field(
        default=None, description="estimated cost above what its traces cost at the typical tokens per trace"
    )
    per_trace_usd: Num
    typical_per_trace_usd: Num | None = None
    basis: str = Field(description="how it was estimated")
