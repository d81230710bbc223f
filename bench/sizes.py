"""`python -m bench sizes`: what the server costs a model's context, in characters.

The tools of the tools/list result in each protocol era (what a host hands its model), and the largest
text and structured content among the pages of the biggest listings: `list_agents` over every account
and over `huge-org` (3,000 deployments), the 500-agent overview, and one agent's metrics and traces.
In process, against the simulator.
"""

from __future__ import annotations

import json
from typing import Any

from mcp import Client
from mcp.types import CallToolResult, TextContent
from pydantic import SecretStr

from astro_mcp.config import Settings
from astro_mcp.server import create_server
from astro_mcp.sim.app import DEMO_TOKEN, Simulator
from astro_mcp.sim.fleet import with_huge_org
from astro_mcp.sim.serve import serve_simulator
from bench.common import out

CALLS: list[tuple[str, dict[str, Any]]] = [
    ("list_agents", {}),
    ("list_agents", {"account": "huge-org"}),
    ("get_account_overview", {"account": "large-org"}),
    ("get_agent_metrics", {"account": "astro-team", "name": "support-bot", "start_time": "now-7d"}),
    ("get_agent_traces", {"account": "astro-team", "name": "support-bot", "status": "all", "limit": 50}),
]


def chars(value: object) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def text_of(result: CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


async def pages(client: Client, tool: str, arguments: dict[str, Any]) -> list[CallToolResult]:
    found = [await client.call_tool(tool, arguments)]
    while (cursor := (found[-1].structured_content or {}).get("next_cursor")) is not None:
        found.append(await client.call_tool(tool, {**arguments, "cursor": cursor}))
    return found


async def sizes() -> None:
    accounts, agents = with_huge_org()
    async with serve_simulator(Simulator(accounts=accounts, agents=agents)) as url:
        settings = Settings(api_url=url, access_token=SecretStr(DEMO_TOKEN))
        listed: dict[str, dict[str, Any]] = {}
        for mode in ("auto", "legacy"):
            async with Client(create_server(settings), mode=mode) as client:
                tools = await client.list_tools()
                listed[client.protocol_version] = tools.model_dump(
                    mode="json", by_alias=True, exclude_none=True, include={"tools"}
                )
        async with Client(create_server(settings)) as client:
            answers = [(tool, arguments, await pages(client, tool, arguments)) for tool, arguments in CALLS]
    out("## Context cost: tools/list and the largest answers (characters)")
    out("| what | characters |")
    out("| --- | ---: |")
    for version, result in listed.items():
        out(f"| tools/list's tools, {version} | {chars(result):,} |")
    some = next(iter(listed.values()))
    out(f"| of which output schemas | {sum(chars(t.get('outputSchema')) for t in some['tools']):,} |")
    out()
    out("| call | pages | largest text | largest structuredContent | largest both together |")
    out("| --- | ---: | ---: | ---: | ---: |")
    for tool, arguments, found in answers:
        call = f"{tool}({', '.join(f'{k}={v!r}' for k, v in arguments.items())})"
        texts = [len(text_of(r)) for r in found]
        structured = [chars(r.structured_content) for r in found]
        both = max(t + s for t, s in zip(texts, structured, strict=True))
        out(f"| `{call}` | {len(found)} | {max(texts):,} | {max(structured):,} | {both:,} |")
    out()
