"""An account at a glance: one row per agent, worst first, each with the reason it needs attention.

`row_of` is the one place that reads a `MetricsSummary` to judge an agent; the rest of the overview
(ranking, headline) sees only rows. The answer is paged by `render.overview`. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence

from astro_mcp import formats as fmt
from astro_mcp.analysis.results.context import IncidentContext
from astro_mcp.analysis.results.metrics import Incident, MetricsSummary
from astro_mcp.analysis.results.overview import AccountOverview, AgentRow, OverviewWindow, RowStatus

# Worst first: what needs a person now (an outage first), then what could not be read, then the rest;
# recovered agents and noise last.
RANK: dict[RowStatus, int] = {
    "outage": 0,
    "incident": 1,
    "failed": 2,
    "degraded": 3,
    "no_traffic": 4,
    "recovered": 5,
    "healthy": 6,
    "not_deployed": 7,
}
NEEDS_ATTENTION = frozenset({"outage", "incident", "failed", "degraded", "no_traffic"})
# Within a status, by what is wrong: errors before flapping, drifts and cost.
_KIND_RANK = {"silence": 0, "regression": 1, "spike": 2, "flapping": 3, "drift": 4, "recovered": 5}

ROW_CHARS = 200  # one agent's line of text, at most
# The context of a page's rows (what the platform knew around the onset) is read for the first CONTEXT_ROWS
# agents that need attention and have an incident among its first CONTEXT_WITHIN rows (fewer than a page ever
# shows), CONTEXT_ITEMS items each: the worst agents when the rows are worst first.
CONTEXT_ROWS = 3
CONTEXT_WITHIN = 8
CONTEXT_ITEMS = 2
HEAD_CHARS = 1_600  # everything but the rows: heading, notes, the count of rows left out, the hint


def row_of(name: str, summary: MetricsSummary, deployment_status: str | None) -> AgentRow:
    """Judge one agent from its summary: the single adapter between a summary and a row."""
    s = summary
    traces = s.totals.trace_count
    row = AgentRow(
        name=name,
        status="healthy",
        headline="",
        trace_count=traces,
        error_rate=s.error_rate,
        avg_latency_ms=s.avg_latency_ms,
        tokens_per_trace=s.tokens_per_trace.input + s.tokens_per_trace.output if s.tokens_per_trace else None,
        cost_usd=s.cost.total_usd if s.cost else None,
        cost_per_trace_usd=s.cost.per_trace_usd if s.cost else None,
        change=_change(s),
        sparkline=[r[1] for r in s.table.rows],
    )
    if traces == 0 and s.status != "outage":
        if (deployment_status or "").lower() == "stopped":
            return row.model_copy(update={"status": "no_traffic", "headline": "Deployment stopped; no traces."})
        reason = f"deployed ({deployment_status or 'status unknown'}) but served no traces in the window"
        return row.model_copy(update={"status": "no_traffic", "headline": _sentence(reason), "reason": reason})
    lead = leading(s)
    kind = lead.kind if lead is not None else None
    if s.status in NEEDS_ATTENTION:
        update = {"status": s.status, "headline": s.headline, "reason": s.headline.rstrip("."), "kind": kind}
        return row.model_copy(update=update)
    return row.model_copy(update={"status": s.status, "headline": s.headline, "kind": kind})


def leading(summary: MetricsSummary) -> Incident | None:
    """The incident the summary's headline names (the one that sets its status), else the first listed; None
    without any. The headline quotes that incident's own headline first."""
    said = summary.headline
    return next((i for i in summary.incidents if said.startswith(i.headline.removesuffix("."))), None) or next(
        iter(summary.incidents), None
    )


def failed_row(name: str, error: str) -> AgentRow:
    """An agent whose metrics could not be read: its failure is its row, never the overview's."""
    return AgentRow(
        name=name, status="failed", headline=f"Its metrics could not be read: {error}", reason=error, error=error
    )


def not_deployed_row(name: str) -> AgentRow:
    return AgentRow(name=name, status="not_deployed", headline="Registered, not deployed: no metrics.")


def overview(window: OverviewWindow, account: str, rows: Sequence[AgentRow], notes: Sequence[str]) -> AccountOverview:
    """Rank the rows worst first and say, in one sentence, how the account is doing."""
    ranked = sorted(rows, key=_severity)
    status: RowStatus = ranked[0].status if ranked else "not_deployed"
    return AccountOverview(
        status=status,
        headline=_headline(ranked),
        account=account,
        window=window,
        agents=ranked,
        more_agents=0,
        notes=list(notes),
    )


def needing_context(o: AccountOverview, offset: int, with_onset: Collection[str]) -> list[str]:
    """The agents whose context the page from `offset` shows: among its first rows, the first few that need
    attention and whose incident (in `with_onset`) has an onset to look around."""
    page = o.agents[offset : offset + CONTEXT_WITHIN]
    return [r.name for r in page if r.status in NEEDS_ATTENTION and r.name in with_onset][:CONTEXT_ROWS]


def with_context(o: AccountOverview, contexts: Mapping[str, IncidentContext], notes: Sequence[str]) -> AccountOverview:
    """`o` with each agent's context on its row, and `notes` as its notes."""
    rows = [r.model_copy(update={"context": contexts[r.name]}) if r.name in contexts else r for r in o.agents]
    return o.model_copy(update={"agents": rows, "notes": list(notes)})


def by_status(rows: Sequence[AgentRow]) -> dict[str, int]:
    """Rows counted by status, in rank order."""
    by = Counter(r.status for r in rows)
    return {s: by[s] for s in RANK if by[s]}


def counts(by: Mapping[str, int]) -> str:
    """'370 healthy, 10 no traffic': `by_status`'s counts in words."""
    return ", ".join(f"{n:,} {s.replace('_', ' ')}" for s, n in by.items())


def _severity(row: AgentRow) -> tuple[int, int, float, int, str]:
    # Within a status: by kind, then the higher error rate, then the busier agent (more people affected).
    kind = _KIND_RANK.get(row.kind or "", len(_KIND_RANK))
    return (RANK[row.status], kind, -(row.error_rate or 0.0), -(row.trace_count or 0), row.name)


def _headline(ranked: Sequence[AgentRow]) -> str:
    deployed = [r for r in ranked if r.status != "not_deployed"]
    attention = [r for r in deployed if r.status in NEEDS_ATTENTION and r.reason is not None]
    if not deployed:
        return "No deployed agents: nothing to measure."
    if not attention:
        return f"All {fmt.plural(len(deployed), 'deployed agent')} look healthy ({counts(by_status(deployed))})."
    worst = attention[0]
    return (
        f"{len(attention)} of {fmt.plural(len(deployed), 'deployed agent')} need attention "
        f"({counts(by_status(deployed))}); worst: {worst.name}, {worst.reason}."
    )


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:] + "."


def _change(s: MetricsSummary) -> str | None:
    """Against the period before, when the summary carries that comparison; else unknown.

    The window's own halves are no substitute: over a day they mostly show the daily rhythm.
    """
    before = s.comparison
    if before is None or not before.trace_count or not s.totals.trace_count:
        return None
    parts = [f"traffic {s.totals.trace_count / before.trace_count:.1f}x"]
    if s.error_rate is not None and before.error_rate is not None:
        parts.append(f"error rate {fmt.pct(before.error_rate)} → {fmt.pct(s.error_rate)}")
    if s.avg_latency_ms is not None and before.avg_latency_ms:
        parts.append(f"latency {s.avg_latency_ms / before.avg_latency_ms:.1f}x")
    return f"vs {before.label}: " + ", ".join(parts)
