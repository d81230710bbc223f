"""Input schemas every client's converter takes as they are, and a server that takes what models send.

Each framework's own conversion of these schemas runs offline in tests/test_frameworks.py (it needs the
frameworks' environments); this checks the published shape itself and the server's side of the contract.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client

from astro_mcp.config import Settings
from tests.support import server_at_now, text_of

pytestmark = pytest.mark.anyio

AGENT = {"account": "astro-team", "name": "support-bot"}
# Keywords some converter refuses or drops: `examples` (Gemini), `default` (OpenAI strict, unless null),
# `anyOf` (smolagents reads it as a string), `title` (no model reads it), `$ref` (clients that cannot resolve it).
REFUSED = {"examples", "default", "anyOf", "oneOf", "allOf", "title", "$ref", "$defs", "nullable"}


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    async with Client(server_at_now(settings)) as c:
        yield c


async def schemas(client: Client) -> dict[str, dict[str, Any]]:
    return {tool.name: tool.input_schema for tool in (await client.list_tools()).tools}


async def test_every_argument_has_one_json_type_with_null_beside_it_when_optional(client: Client) -> None:
    for tool, schema in (await schemas(client)).items():
        assert set(schema) == {"type", "properties", "required"}, tool
        for name, spec in schema["properties"].items():
            where = f"{tool}.{name}"
            assert not REFUSED & set(spec), where
            assert spec["description"], where
            if name in schema["required"]:
                assert spec["type"] in ("string", "integer"), where
            else:
                assert spec["type"] in (["string", "null"], ["integer", "null"]), where
                assert "Default (null): " in spec["description"], f"{where}: the description must say the default"
                assert spec.get("enum", [None])[-1] is None, f"{where}: an enum must take null too"


async def test_the_descriptions_name_a_form_of_each_argument_that_the_schema_allows(client: Client) -> None:
    props = (await schemas(client))["get_agent_metrics"]["properties"]
    assert props["account"]["pattern"] == "^[a-z0-9][a-z0-9_-]{0,63}$"
    assert "e.g. 'astro-team'" in props["account"]["description"]
    assert "minutes ('60')" in props["interval"]["description"]
    assert "epoch seconds ('1764000000')" in props["start_time"]["description"]
    assert props["compare"]["enum"] == ["previous", "week", "none", None]


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("list_agents", {"account": None}),
        ("get_account_overview", {"account": "astro-team", "start_time": None, "end_time": None}),
        ("get_agent_metrics", {**AGENT, "start_time": None, "end_time": None, "interval": None, "compare": None}),
        (
            "get_agent_traces",
            {**AGENT, "start_time": None, "end_time": None, "status": None, "limit": None, "offset": None},
        ),
    ],
)
async def test_null_for_every_optional_argument_means_its_default(
    client: Client, tool: str, arguments: dict[str, Any]
) -> None:
    with_nulls = await client.call_tool(tool, arguments)
    without = await client.call_tool(tool, {k: v for k, v in arguments.items() if v is not None})
    assert not with_nulls.is_error, text_of(with_nulls)
    assert with_nulls.structured_content == without.structured_content


async def test_a_number_where_the_schema_says_string_is_taken_as_models_send_it(client: Client) -> None:
    as_number = await client.call_tool("get_agent_metrics", {**AGENT, "interval": 60, "start_time": 1795510800})
    as_string = await client.call_tool("get_agent_metrics", {**AGENT, "interval": "60", "start_time": "1795510800"})
    assert not as_number.is_error, text_of(as_number)
    assert as_number.structured_content == as_string.structured_content
    assert as_number.structured_content is not None
    assert as_number.structured_content["window"]["interval_minutes"] == 60


async def test_a_wrong_type_is_refused_with_the_published_type_and_an_example(client: Client) -> None:
    result = await client.call_tool("get_agent_traces", {**AGENT, "limit": "many", "status": 3})
    assert result.is_error
    assert 'limit="many" is not accepted: send a whole number.' in text_of(result)
    assert "Example: limit=10." in text_of(result)
    assert "status=3 is not one of the accepted values: 'error', 'ok', 'all'." in text_of(result)
    assert "Example: status='all'." in text_of(result)
