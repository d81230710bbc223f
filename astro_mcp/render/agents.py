"""The `list_agents` result as text: each account with the user's role, and its agents' deployment status.

A page at a time (`pages`): the agents of every account in order, an account with no agent taking one
row, and the call that reads the next page.
"""

from __future__ import annotations

from collections.abc import Iterator

from astro_mcp import formats as fmt
from astro_mcp.analysis.results.fleet import Fleet, FleetAccount, FleetAgent
from astro_mcp.render.answer import Rendering
from astro_mcp.render.pages import Paged, page_lengths


def render(fleet: Fleet) -> str:
    """The text block of a `list_agents` result."""
    if not fleet.accounts:
        return "This login belongs to no Astro account."
    lines = [fleet.headline]
    for account in fleet.accounts:
        lines += _account(account)
    if fleet.next_cursor is not None:
        lines.append(
            f"... and {fmt.plural(fleet.more_agents, 'more agent')} on the next pages: "
            f"list_agents(cursor='{fleet.next_cursor}')."
        )
    lines.append(
        "Next: get_account_overview(account) to see which agents need attention; "
        "get_agent_metrics(account, name) for one agent."
    )
    return "\n".join(lines)


def _account(a: FleetAccount) -> list[str]:
    kind = ", ".join(part for part in (a.type, f"role {a.role}" if a.role else None) if part)
    lines = [f"{a.name} ({kind}):" if kind else f"{a.name}:"]
    if a.error is not None:
        lines.append(f"  deployments could not be read: {a.error}")
    groups: dict[str, list[str]] = {}
    for agent in a.agents:
        state = f"deployed, {agent.status or 'status unknown'}" if agent.deployed else "registered, not deployed"
        groups.setdefault(state, []).append(agent.name)
    lines += [f"  {state}: {', '.join(names)}" for state, names in groups.items()]
    return lines


Row = tuple[FleetAccount, FleetAgent | None]


def pages(paged: Paged[Fleet]) -> Iterator[Fleet]:
    """The page asked for, longest first: rows of (account, agent), regrouped by account."""
    whole, page = paged.result, paged.page
    rows: list[Row] = [(a, agent) for a in whole.accounts for agent in _agents_or_none(a)]
    left = rows[page.offset :]
    for length in page_lengths(len(left)):
        yield whole.model_copy(
            update={
                "accounts": _regrouped(left[:length]),
                "more_agents": sum(agent is not None for _, agent in left[length:]),
                "next_cursor": page.next_cursor(length, len(rows)),
            }
        )


def _agents_or_none(account: FleetAccount) -> list[FleetAgent | None]:
    """An account's agents; an account without any still takes a row."""
    return [*account.agents] if account.agents else [None]


def _regrouped(rows: list[Row]) -> list[FleetAccount]:
    accounts: dict[str, FleetAccount] = {}
    for account, agent in rows:
        page = accounts.get(account.name)
        if page is None:  # copied once per account, not once per row
            page = accounts[account.name] = account.model_copy(update={"agents": []})
        if agent is not None:
            page.agents.append(agent)
    return list(accounts.values())


FLEET = Rendering(Fleet, render, pages)
