"""The user's fleet: the registered and the deployed agents of an account, merged; the fleet's verdict."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from astro_mcp.analysis.results.fleet import Fleet, FleetAccount, FleetAgent, FleetStatus
from astro_mcp.formats import plural


def merge_agents(registered: Sequence[str], deployed: Sequence[FleetAgent]) -> list[FleetAgent]:
    """Deployed agents first (by name), then those registered but not deployed."""
    names = {a.name for a in deployed}
    idle = [FleetAgent(name=n, deployed=False, status=None) for n in dict.fromkeys(registered) if n not in names]
    return sorted(deployed, key=lambda a: a.name) + sorted(idle, key=lambda a: a.name)


def fleet_of(accounts: Sequence[FleetAccount]) -> Fleet:
    """The accounts with a verdict first: whether every account could be read, and what they hold."""
    agents = [a for account in accounts for a in account.agents]
    deployed = [a for a in agents if a.deployed]
    states = Counter((a.status or "status unknown").lower() for a in deployed)
    detail = ", ".join(f"{n:,} {state}" for state, n in states.most_common())
    unread = [account.name for account in accounts if account.error is not None]
    headline = (
        f"{plural(len(accounts), 'account')}, {plural(len(agents), 'agent')}: {len(deployed):,} deployed"
        + (f" ({detail})" if detail else "")
        + (f", {len(agents) - len(deployed):,} registered only." if len(agents) > len(deployed) else ".")
    )
    if unread:
        headline += f" The deployments of {', '.join(unread)} could not be read."
    status: FleetStatus = "empty" if not accounts else "partial" if unread else "ok"
    return Fleet(status=status, headline=headline, accounts=list(accounts))
