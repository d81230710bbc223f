"""An `AccountOverview` as text: the headline, the agents needing attention with their reason, then the rest.

A page at a time (`pages`): the worst agents first, the ones after the page counted by status, with the
call that reads the next page. Every line of a row is cut at `ROW_CHARS`.
"""

from __future__ import annotations

from collections.abc import Iterator

from astro_mcp import formats as fmt
from astro_mcp.analysis.overview import HEAD_CHARS, NEEDS_ATTENTION, ROW_CHARS, by_status, counts
from astro_mcp.analysis.results.overview import AccountOverview, AgentRow
from astro_mcp.domain import rfc3339
from astro_mcp.render import context
from astro_mcp.render.answer import Rendering
from astro_mcp.render.pages import Paged, page_lengths

_ORDER = {"attention": "worst first", "name": "by name"}
_MARK = {
    "outage": "⚠",
    "incident": "⚠",
    "failed": "✗",
    "degraded": "⚠",
    "no_traffic": "·",
    "recovered": "↺",
    "healthy": "✓",
    "not_deployed": "-",
}


def render(o: AccountOverview) -> str:
    """The text block of a `get_account_overview` result."""
    w = o.window
    length = fmt.minutes(int((w.end - w.start).total_seconds() // 60))
    head = [
        f"{o.account}: {fmt.plural(len(o.agents), 'agent')}, {fmt.when(w.start)} → {fmt.when(w.end)} ({length}).",
        o.headline,
        *([o.cost_note] if o.cost_note is not None else []),
        *(f"Note: {note}" for note in o.notes),
    ]
    shown = o.agents
    lines = [*_within(head, HEAD_CHARS), ""]
    order = _ORDER.get(o.sort, f"by {o.sort.replace('_', ' ')}, highest first")
    if o.offset:
        lines.append(f"Agents {o.offset + 1:,}–{o.offset + len(shown):,}, {order}:")
    elif o.sort != "attention":
        lines.append(f"Agents {order}:")
    attention = [r for r in shown if r.status in NEEDS_ATTENTION and r.reason is not None and o.sort == "attention"]
    if attention:
        lines.append("Needs attention, worst first:")
        lines += [line for r in attention for line in (_row(r), *context.brief(r.context))]
    rest = [r for r in shown if r not in attention]
    if rest and o.sort == "attention":
        lines.append("The others:" if attention else "Agents:")
    lines += [line for r in rest for line in (_row(r), *context.brief(r.context))]
    if o.next_cursor is not None:
        lines.append(f"... and {o.more_agents:,} more: {counts(o.more_by_status)}.")
        lines.append(f"Next page: get_account_overview(account='{o.account}', cursor='{o.next_cursor}').")
    same = f"start_time='{rfc3339(w.start)}', end_time='{rfc3339(w.end)}'"
    lines.append(f"Next: get_agent_metrics(account, name, {same}) for one agent's incidents and series, same window.")
    return "\n".join(lines)


def _row(r: AgentRow) -> str:
    figures = []
    if r.trace_count is not None:
        figures.append(fmt.plural(r.trace_count, "trace"))
        if r.cost_usd is not None:  # before the rest: a row is cut at ROW_CHARS
            per = f" ({fmt.usd(r.cost_per_trace_usd)}/trace)" if r.cost_per_trace_usd is not None else ""
            figures.append(f"{fmt.usd(r.cost_usd)}{per}")
        figures.append(f"err {fmt.pct(r.error_rate)}" if r.error_rate is not None else "err n/a")
        if r.avg_latency_ms is not None:
            figures.append(fmt.ms(r.avg_latency_ms))
        if r.tokens_per_trace is not None:
            figures.append(f"{fmt.num(r.tokens_per_trace)} tok/trace")
    if r.sparkline and any(r.sparkline):
        figures.append(fmt.sparkline([float(v) for v in r.sparkline]))
    if r.change:
        figures.append(r.change)
    said = r.reason or ("" if r.status == "healthy" else r.headline)  # a healthy row's figures say it all
    if r.status == "recovered":
        said = r.headline
    body = f"{_MARK[r.status]} {r.name} [{r.status.replace('_', ' ')}] {said}".rstrip()
    return _cut(f"{body} | {', '.join(figures)}" if figures else body, ROW_CHARS)


def _within(lines: list[str], limit: int) -> list[str]:
    """The first of `lines`, each cut at a fifth of `limit`, as long as they take `limit` characters at most
    together: that leaves room for the rows."""
    kept: list[str] = []
    for line in (_cut(line, limit // 5) for line in lines):
        if sum(len(k) + 1 for k in kept) + len(line) > limit:
            break
        kept.append(line)
    return kept


def _cut(line: str, limit: int) -> str:
    """At most `limit` characters: cut after the last whole word that fits (a word longer than half the line is
    cut where it must), marked with '…'."""
    if len(line) <= limit:
        return line
    head = line[: limit - 1]
    if not line[limit - 1].isspace() and head.rfind(" ") >= limit // 2:
        head = head[: head.rfind(" ")]
    return head.rstrip(" ,;:|") + "…"


def pages(paged: Paged[AccountOverview]) -> Iterator[AccountOverview]:
    """The page asked for, longest first; the window is in the cursor, so every page has the same."""
    whole, page = paged.result, paged.page
    rows = whole.agents[page.offset :]
    for length in page_lengths(len(rows)):
        yield whole.model_copy(
            update={
                "agents": rows[:length],
                "offset": page.offset,
                "more_agents": len(rows) - length,
                "more_by_status": by_status(rows[length:]),
                "next_cursor": page.next_cursor(length, len(whole.agents)),
            }
        )


OVERVIEW = Rendering(AccountOverview, render, pages)
