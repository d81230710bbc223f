"""The "Adding a tool" recipe of docs/architecture.md works: a tool defined here, in three pieces, answers
through the same contract as the shipped tools (text, structured content, output schema, refusals, advice)."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from mcp.server.mcpserver import Context
from pydantic import BaseModel, Field

from astro_mcp.config import Settings
from astro_mcp.render.answer import Rendering, whole
from astro_mcp.server import args, create_server
from astro_mcp.server.calls import answering
from astro_mcp.server.state import AppState
from astro_mcp.server.toolkit import tool
from astro_mcp.server.tools import _made as tools_made_once
from astro_mcp.server.tools import tools
from astro_mcp.service import Service
from tests.support import NOW, text_of

pytestmark = pytest.mark.anyio


# 1. The use case, returning a result model.
class DeployedCount(BaseModel):
    """How many of an account's agents are deployed."""

    account: str
    deployed: int = Field(description="agents with an active deployment")
    registered: int = Field(description="every agent of the account")


async def count_deployed(service: Service, account: str, deadline: float) -> DeployedCount:
    fleet = await service.fleet.list_agents(account, deadline)
    agents = [agent for a in fleet.accounts for agent in a.agents]
    return DeployedCount(account=account, deployed=sum(a.deployed for a in agents), registered=len(agents))


# 2. Its rendering.
COUNT = Rendering(DeployedCount, lambda c: f"{c.account}: {c.deployed} of {c.registered} agents deployed.", whole)


# 3. The tool: check the arguments, call the use case; and its line in the list of tools.
async def count_deployed_agents(ctx: Context[AppState, Any], account: args.Account) -> DeployedCount:
    """Count the deployed agents of an Astro account."""
    async with answering(ctx, account) as (service, deadline):
        return await count_deployed(service, service.read.account_window(account, None, None).account, deadline)


def offered() -> list[Any]:
    return [*tools(), tool(count_deployed_agents, "Count deployed agents", COUNT)]


async def test_a_tool_made_by_the_recipe_answers_with_text_and_structured_content(settings: Settings) -> None:
    async with Client(create_server(settings, clock=lambda: NOW, offered=offered())) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
        result = await client.call_tool("count_deployed_agents", {"account": "astro-team"})
    made = listed["count_deployed_agents"]
    assert made.output_schema is not None
    assert set(made.output_schema["properties"]) == {"account", "deployed", "registered"}
    assert made.annotations is not None
    assert made.annotations.read_only_hint
    assert not result.is_error
    count = DeployedCount.model_validate(result.structured_content)
    assert 0 < count.deployed <= count.registered
    assert text_of(result) == f"astro-team: {count.deployed} of {count.registered} agents deployed."


async def test_a_tool_made_by_the_recipe_refuses_bad_arguments_as_every_tool_does(settings: Settings) -> None:
    async with Client(create_server(settings, clock=lambda: NOW, offered=offered())) as client:
        wrong_type = await client.call_tool("count_deployed_agents", {"account": 7})
        bad_slug = await client.call_tool("count_deployed_agents", {"account": "Astro Team"})
    assert wrong_type.is_error
    assert "account=7 is not accepted: send a string." in text_of(wrong_type)
    assert bad_slug.is_error
    assert "Did you mean account='astro-team'?" in text_of(bad_slug)


def test_each_server_gets_tools_of_its_own_from_argument_models_made_once_a_process() -> None:
    originals = {t.name: t for t in tools_made_once()}
    for t in originals.values():  # the originals' output schemas made too: a copy still makes its own
        assert t.output_schema is not None
    first, second = tools(), tools()
    for a, b in zip(first, second, strict=True):
        assert a.output_schema is not originals[a.name].output_schema
        assert a is not b
        assert a.fn_metadata is b.fn_metadata is originals[a.name].fn_metadata
        assert a.parameters == b.parameters
        assert a.parameters is not b.parameters
        assert a.output_schema == b.output_schema
        assert a.output_schema is not b.output_schema
