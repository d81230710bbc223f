"""What an agent cost, and what its incidents cost: the platform's exact figures, and estimates from tokens.

The platform gives cost per deployment over a window (its cost summary), not per bucket. So the window's
total and its cost per trace are exact; the window's price per token (its cost over its tokens) prices the
rest, as estimates: the compared window where its own cost is not at hand, and each incident's traces.
Under one price a step in cost per trace is a step in tokens per trace, which the detection engine finds
like any other: such an incident carries its cost, in its headline too. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from astro_mcp import formats as fmt
from astro_mcp.analysis.results.cost import Cost, IncidentCost
from astro_mcp.analysis.results.metrics import Comparison, Incident, MetricsSummary
from astro_mcp.analysis.results.overview import AccountOverview

_PRICE_MOVED = 0.3  # cost per trace this much away from before, tokens per trace within _TOKENS_HELD: a new price
_TOKENS_HELD = 0.1


@dataclass(frozen=True, slots=True)
class Spent:
    usd: float
    traces: int


@dataclass(frozen=True, slots=True)
class Ledger:
    """One window's cost per agent (by name) from the platform, or why there is none (`missing`)."""

    agents: Mapping[str, Spent] = field(default_factory=dict)
    total_usd: float = 0.0
    missing: str | None = None


def costed(summary: MetricsSummary, now: Ledger, before: Ledger | None = None) -> MetricsSummary:
    """`summary` with its cost (`now`: the window's ledger; `before`: the compared window's, if fetched), its
    incidents' costs, and the cost in the headline where a tokens incident sets it."""
    spent = now.agents.get(summary.name)
    if spent is None:
        why = now.missing or f"the platform's cost summary lists no deployment named {summary.name}"
        return summary.model_copy(update={"cost": Cost(available=False, note=f"Cost: not available ({why}).")})
    tokens = summary.totals.input_tokens + summary.totals.output_tokens
    price = spent.usd / tokens if tokens else None
    per_trace = spent.usd / spent.traces if spent.traces else None
    cost = _with_before(Cost(available=True, total_usd=spent.usd, per_trace_usd=per_trace, note=""), summary, before)
    cost = cost.model_copy(update={"usd_per_million_tokens": price * 1e6 if price is not None else None})
    cost = cost.model_copy(update={"note": _note(cost, summary.comparison)})
    incidents = [_incident(i, price, per_trace) for i in summary.incidents]
    headline = summary.headline
    for old, new in zip(summary.incidents, incidents, strict=True):
        if old.headline != new.headline:
            headline = headline.replace(old.headline.removesuffix("."), new.headline.removesuffix("."), 1)
    return summary.model_copy(update={"cost": cost, "incidents": incidents, "headline": headline})


def priced(o: AccountOverview, ledger: Ledger, summaries: Sequence[MetricsSummary]) -> AccountOverview:
    """`o` with the account's exact total over the window, and its change against the window before, estimated
    from the agents whose cost before is known (each one's tokens then, at its price per token now)."""
    if ledger.missing is not None:
        return o.model_copy(update={"cost_note": f"Cost: not available ({ledger.missing})."})
    pairs = [
        (s.cost.total_usd, s.cost.before_total_usd)
        for s in summaries
        if s.cost is not None and s.cost.total_usd is not None and s.cost.before_total_usd is not None
    ]
    now, before = sum(p[0] for p in pairs), sum(p[1] for p in pairs)
    change = now / before - 1 if before else None
    against = (
        f"; about {_pct(change)} against the window before (estimated: the agents' tokens then, at their price "
        "per token now)"
        if change is not None
        else ""
    )
    note = f"Cost: {fmt.usd(ledger.total_usd)} over the window (exact: the platform's cost summary){against}."
    return o.model_copy(update={"cost_usd": ledger.total_usd, "cost_change": change, "cost_note": note})


def _with_before(cost: Cost, summary: MetricsSummary, before: Ledger | None) -> Cost:
    """The compared window's cost: the platform's where it was fetched, else its tokens at this window's price."""
    spent = before.agents.get(summary.name) if before is not None else None
    c = summary.comparison
    if spent is not None:
        usd, traces, estimated = spent.usd, spent.traces, False
    elif c is not None and c.tokens_per_trace is not None and cost.total_usd is not None:
        tokens = summary.totals.input_tokens + summary.totals.output_tokens
        if not tokens:
            return cost
        usd, traces, estimated = c.tokens_per_trace * c.trace_count * cost.total_usd / tokens, c.trace_count, True
    else:
        return cost
    per_trace = usd / traces if traces else None
    change = cost.per_trace_usd / per_trace - 1 if cost.per_trace_usd is not None and per_trace else None
    return cost.model_copy(
        update={
            "before_total_usd": usd,
            "before_per_trace_usd": per_trace,
            "before_estimated": estimated,
            "per_trace_change": change,
        }
    )


def _note(cost: Cost, c: Comparison | None) -> str:
    """The cost line: the window's exact figures, then the compared window's, and a price that moved."""
    assert cost.total_usd is not None
    per = f", {fmt.usd(cost.per_trace_usd)} per trace" if cost.per_trace_usd is not None else ""
    text = f"Cost: {fmt.usd(cost.total_usd)}{per} (exact: the platform's cost summary)"
    if c is not None and cost.before_total_usd is not None:
        how = ", estimated: its tokens at this window's price per token" if cost.before_estimated else ""
        per_before = f", {fmt.usd(cost.before_per_trace_usd)} per trace" if cost.before_per_trace_usd else ""
        change = f", {_pct(cost.per_trace_change)} per trace" if cost.per_trace_change is not None else ""
        text += f"; {c.label}: {fmt.usd(cost.before_total_usd)}{per_before}{how}{change}"
        moved = cost.per_trace_change if not cost.before_estimated else None
        held = c.tokens_per_trace_change
        if moved is not None and held is not None and abs(moved) >= _PRICE_MOVED and abs(held) < _TOKENS_HELD:
            text += ". Cost per trace moved while tokens per trace held: the price per token changed (another model?)"
    return text + "."


def _incident(i: Incident, price: float | None, per_trace: float | None) -> Incident:
    """The incident with its estimated cost: a tokens incident's from its own tokens per trace, with the excess
    over the typical, named in its headline; any other's from its traces at the window's cost per trace."""
    tokens = next((s for s in i.symptoms if s.metric == "tokens_per_trace"), None)
    if tokens is not None and price is not None:
        now, typical = tokens.level * price, tokens.typical * price
        cost = IncidentCost(
            usd=now * i.trace_count,
            excess_usd=max(0.0, now - typical) * i.trace_count,
            per_trace_usd=now,
            typical_per_trace_usd=typical,
            basis="its tokens per trace at the window's price per token",
        )
        said = f"; cost per trace about {fmt.usd(now)}, was {fmt.usd(typical)} (estimated from tokens)."
        return i.model_copy(update={"cost": cost, "headline": i.headline.removesuffix(".") + said})
    if per_trace is None or i.kind == "silence" or not i.trace_count:
        return i
    cost = IncidentCost(
        usd=per_trace * i.trace_count, per_trace_usd=per_trace, basis="its traces at the window's cost per trace"
    )
    return i.model_copy(update={"cost": cost})


def incident_line(c: IncidentCost) -> str:
    """'Cost: about $12.30 ($9.80 above the typical cost per trace), estimated: ...'."""
    excess = f" ({fmt.usd(c.excess_usd)} above its typical cost per trace)" if c.excess_usd else ""
    return f"Cost: about {fmt.usd(c.usd)}{excess}; estimated from {c.basis}."


def _pct(change: float | None) -> str:
    return "n/a" if change is None else f"{change * 100:+.0f}%" if abs(change) >= 0.1 else f"{change * 100:+.1f}%"
