"""The commands that print to stdout instead of speaking MCP over it: `astro-mcp demo` and `astro-mcp simulate`."""

from __future__ import annotations

import json
import sys
from typing import Any

import anyio
from mcp import Client, StdioServerParameters
from mcp.types import CallToolResult, TextContent

from astro_mcp.sim.app import API_PREFIX, AUTH_PREFIX, DEMO_TOKEN, Simulator
from astro_mcp.sim.data import DEMO_AGENTS
from astro_mcp.sim.fleet import ACCOUNTS
from astro_mcp.sim.platform import Generation
from astro_mcp.sim.serve import serve_simulator

ARGUMENTS = {"account": "astro-team", "name": "support-bot", "start_time": "now-24h"}
BAD_ARGUMENTS = {"account": "Astro Team", "name": "support-bot", "start_time": "last tuesday"}


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


async def run_demo() -> int:
    """Start the simulator and the server over stdio, call the tool like a model would, print what comes back."""
    async with serve_simulator(Simulator()) as url:
        env = {"ASTRO_API_URL": url, "ASTRO_ACCESS_TOKEN": DEMO_TOKEN, "ASTRO_MCP_LOG_LEVEL": "WARNING"}
        params = StdioServerParameters(command=sys.executable, args=["-m", "astro_mcp"], env=env)
        started = anyio.current_time()
        with anyio.fail_after(60):
            async with Client(params) as client:
                ready = anyio.current_time() - started
                tools = (await client.list_tools()).tools
                _out(f"Simulated Astro API at {url}; astro-mcp started over stdio in {ready:.2f} s")
                _out(f"Protocol {client.protocol_version}; tools: {', '.join(t.name for t in tools)}")
                _out()
                _out("list_agents()  -- the model does not know the account yet")
                await _show(client, "list_agents", {})
                _out("get_account_overview(account='astro-team')  -- how are my agents doing?")
                await _show(client, "get_account_overview", {"account": "astro-team"})
                call = ", ".join(f"{k}={v!r}" for k, v in ARGUMENTS.items())
                _out(f"get_agent_metrics({call})  -- an agent that had an error spike 6 hours ago")
                result = await _show(client, "get_agent_metrics", ARGUMENTS)
                incidents = (result.structured_content or {}).get("incidents") or []
                if incidents:
                    follow = incidents[0]["traces_call"]
                    call = ", ".join(f"{k}={v!r}" for k, v in follow.items())
                    _out(f"get_agent_traces({call})  -- the incident's traces_call, passed on unchanged")
                    await _show(client, "get_agent_traces", follow)
                call = ", ".join(f"{k}={v!r}" for k, v in BAD_ARGUMENTS.items())
                _out(f"get_agent_metrics({call})  -- a call the model must correct")
                refused = await client.call_tool("get_agent_metrics", BAD_ARGUMENTS)
                _out("\n".join(c.text for c in refused.content if isinstance(c, TextContent)))
    return 0


async def _show(client: Client, tool: str, arguments: dict[str, Any]) -> CallToolResult:
    """Call a tool and print what a model receives: the text, then the size of the whole answer."""
    _out("=" * 100)
    result = await client.call_tool(tool, arguments)
    text = "\n".join(c.text for c in result.content if isinstance(c, TextContent))
    _out(text)
    _out("=" * 100)
    structured = json.dumps(result.structured_content, separators=(",", ":"))
    _out(
        f"Also in structuredContent: {', '.join(result.structured_content or {})} "
        f"({len(text) + len(structured):,} characters in all)."
    )
    _out()
    return result


async def run_simulator(
    host: str,
    port: int,
    latency_ms: float = 0.0,
    generation: Generation = "both",
    token_lifetime: float = 3600,
) -> None:
    """Serve the simulator until interrupted; print its URL, how to sign in to it, and its agents."""
    simulator = Simulator(latency_ms=latency_ms, generation=generation)
    simulator.workos.lifetime = token_lifetime
    simulator.workos.interval = 1  # no one needs to wait 5 s between polls on loopback
    async with serve_simulator(simulator, host, port) as url:
        root = url.removesuffix(API_PREFIX)
        env = f"ASTRO_API_URL={url} ASTRO_MCP_AUTH_URL={root}{AUTH_PREFIX}"
        _out(url)
        _out(f"Sign in (approved automatically; tokens live {token_lifetime:g} s):  {env} astro-ai-mcp login")
        _out(f"Then serve with the same two variables:  {env} astro-ai-mcp")
        _out(f"Or skip signing in with the permanent demo token:  ASTRO_API_URL={url} ASTRO_ACCESS_TOKEN={DEMO_TOKEN}")
        for account, agents in DEMO_AGENTS.items():
            for name, agent in agents.items():
                _out(f"  {account}/{name}: {agent.description}")
        _out("  locked-org/*: 403; fresh-org/*: 503; expired-session/*: 401; any other account: 404")
        _out(f"  also: {', '.join(a for a in ACCOUNTS if a != 'astro-team')} (see /me and /deployments)")
        _out(f"  every answer waits {latency_ms:g} ms; server generation: {generation}")
        await anyio.sleep_forever()
