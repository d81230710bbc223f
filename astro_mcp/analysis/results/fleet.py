"""The output model of `list_agents`: the user's accounts, their agents, and whether each is deployed."""

from __future__ import annotations

from typing import Literal

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


FleetStatus = Literal["ok", "partial", "empty"]


class Fleet(Model):
    """The signed-in user's accounts and, in each, the agents and their deployment status (one page of them)."""

    status: FleetStatus = Field(
        description="ok; partial: an account's deployments could not be read; empty: the login has no account"
    )
    headline: str = Field(description="how many accounts and agents, in one sentence")
    accounts: list[FleetAccount] = Field(description="the accounts with agents on this page")
    more_agents: int = Field(default=0, description="agents on the pages after this one")
    next_cursor: str | None = Field(default=None, description="pass as `cursor` for the next page; null on the last")
