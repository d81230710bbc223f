"""The output model of `list_agents`: the user's accounts, their agents, and whether each is deployed."""

from __future__ import annotations

from pydantic import Field

from astro_mcp.domain import Model


class FleetAgent(Model):
    name: str
    deployed: bool = Field(description="false for an agent registered on Astro but not deployed")
    status: str | None = Field(description="deployment status (Running, Pending, Stopped); null when not deployed")
    deployment_id: str | None = None
    created_at: str | None = Field(default=None, description="when the deployment was created, as the API says")


class FleetAccount(Model):
    name: str = Field(description="account slug: the `account` argument of the other tools")
    type: str | None = Field(description="personal, team or organization")
    role: str | None = Field(description="the user's role in the account: owner, admin or member")
    agents: list[FleetAgent]
    error: str | None = Field(default=None, description="why the account's deployments could not be read")


class Fleet(Model):
    """The signed-in user's accounts and, in each, the agents and their deployment status."""

    accounts: list[FleetAccount]
