"""Command line: `astro-mcp [serve]`, `astro-mcp demo`, `astro-mcp simulate`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

import anyio

from astro_mcp import __version__
from astro_mcp.config import ConfigError, Settings

logger = logging.getLogger("astro_mcp")


def _out(text: str) -> None:
    """Write to stdout: only for commands that do not speak MCP over it."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="astro-mcp", description="MCP server for Astro AI agent metrics.")
    parser.add_argument("--version", action="version", version=f"astro-mcp {__version__}")
    commands = parser.add_subparsers(dest="command")
    simulate = commands.add_parser("simulate", help="run the bundled Astro API simulator")
    simulate.add_argument("--host", default="127.0.0.1")
    simulate.add_argument("--port", type=int, default=8765)
    return parser


async def _simulate(host: str, port: int) -> None:
    from astro_mcp.simulator import DEMO_AGENTS, DEMO_TOKEN, Simulator, serve_simulator

    async with serve_simulator(Simulator(), host, port) as url:
        _out(url)
        _out(f"token: {DEMO_TOKEN}   (try: ASTRO_API_URL={url} ASTRO_ACCESS_TOKEN={DEMO_TOKEN} astro-mcp)")
        for account, agents in DEMO_AGENTS.items():
            for name, agent in agents.items():
                _out(f"  {account}/{name}: {agent.description}")
        _out("  locked-org/*: 403; fresh-org/*: 503; expired-session/*: 401; any other account: 404")
        await anyio.sleep_forever()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env(os.environ)
    except ConfigError as err:
        sys.stderr.write(f"astro-mcp: {err}\n")
        return 2
    logging.basicConfig(
        level=settings.log_level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        if args.command == "simulate":
            anyio.run(_simulate, args.host, args.port)
    except KeyboardInterrupt:
        return 0
    return 0
