"""An overview's rows in the order a model asks for: worst first (attention), or by one figure, highest first."""

from __future__ import annotations

from collections.abc import Callable

from astro_mcp.analysis.results.overview import AccountOverview, AgentRow, Sort

_FIGURE: dict[Sort, Callable[[AgentRow], float | None]] = {
    "cost": lambda r: r.cost_usd,
    "cost_per_trace": lambda r: r.cost_per_trace_usd,
    "traces": lambda r: r.trace_count,
}
SORTS: tuple[Sort, ...] = ("attention", *_FIGURE, "name")


def in_order(o: AccountOverview, sort: Sort) -> AccountOverview:
    """`o` with its rows in `sort` order. 'attention' keeps them worst first; a figure puts the highest first and
    the rows without it last; ties go by name, so every page of the same answer is cut from the same order."""
    if sort == "attention":
        return o
    if sort == "name":
        return o.model_copy(update={"sort": sort, "agents": sorted(o.agents, key=lambda r: r.name)})
    figure = _FIGURE[sort]

    def key(r: AgentRow) -> tuple[bool, float, str]:
        value = figure(r)
        return value is None, -(value or 0.0), r.name

    return o.model_copy(update={"sort": sort, "agents": sorted(o.agents, key=key)})
