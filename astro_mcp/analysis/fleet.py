"""The user's fleet: the registered and the deployed agents of an account, merged."""

from __future__ import annotations

from collections.abc import Sequence

from astro_mcp.analysis.results.fleet import FleetAgent


def merge_agents(registered: Sequence[str], deployed: Sequence[FleetAgent]) -> list[FleetAgent]:
    """Deployed agents first (by name), then those registered but not deployed."""
    names = {a.name for a in deployed}
    idle = [FleetAgent(name=n, deployed=False, status=None) for n in dict.fromkeys(registered) if n not in names]
    return sorted(deployed, key=lambda a: a.name) + sorted(idle, key=lambda a: a.name)
