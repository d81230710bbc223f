"""The `list_agents` result as text: each account with the user's role, and its agents' deployment status."""

from __future__ import annotations

from astro_mcp import formats as fmt
from astro_mcp.analysis.results.fleet import Fleet, FleetAccount
from astro_mcp.render.answer import Rendering, whole

MAX_NAMES = 40  # per account and state; the rest are counted (all are in structuredContent)


def render(fleet: Fleet) -> str:
    """The text block of a `list_agents` result."""
    if not fleet.accounts:
        return "This login belongs to no Astro account."
    lines: list[str] = []
    for account in fleet.accounts:
        lines += _account(account)
    lines.append(
        "Next: get_account_overview(account) to see which agents need attention; "
        "get_agent_metrics(account, name) for one agent."
    )
    return "\n".join(lines)


def _account(a: FleetAccount) -> list[str]:
    kind = ", ".join(part for part in (a.type, f"role {a.role}" if a.role else None) if part)
    deployed = sum(agent.deployed for agent in a.agents)
    head = f"{a.name} ({kind}): " if kind else f"{a.name}: "
    lines = [head + f"{fmt.plural(len(a.agents), 'agent')}, {deployed} deployed"]
    if a.error is not None:
        lines.append(f"  deployments could not be read: {a.error}")
    groups: dict[str, list[str]] = {}
    for agent in a.agents:
        state = f"deployed, {agent.status or 'status unknown'}" if agent.deployed else "registered, not deployed"
        groups.setdefault(state, []).append(agent.name)
    lines += [f"  {state}: {_names(names)}" for state, names in groups.items()]
    return lines


def _names(names: list[str]) -> str:
    shown = names[:MAX_NAMES]
    more = f", and {len(names) - len(shown)} more (all in structuredContent)" if len(names) > len(shown) else ""
    return ", ".join(shown) + more


FLEET = Rendering(Fleet, render, whole)
