"""Command line: `astro-mcp [serve]`, `login`, `logout`, `whoami`, `demo`, `simulate`. Settings are read here, once."""

from __future__ import annotations

import argparse
import errno
import gc
import logging
import os
import socket
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import anyio

from astro_mcp import __version__
from astro_mcp.config import ConfigError, Settings
from astro_mcp.redaction import install_log_filter, remember

if TYPE_CHECKING:
    from astro_mcp.server.protocol import AstroMCP

logger = logging.getLogger("astro_mcp")

LOOPBACK = ("127.0.0.1", "localhost", "::1")
HTTP_PORT = 8000


def _server_options() -> argparse.ArgumentParser:
    """The server's options, shown by `astro-mcp --help` as well as `astro-mcp serve --help`."""
    options = argparse.ArgumentParser(add_help=False)
    group = options.add_argument_group("server options (with no command, or after `serve`)")
    group.add_argument("--transport", choices=("stdio", "sse", "streamable-http"), default="stdio")
    group.add_argument("--host", default="127.0.0.1", help="HTTP transports: address to bind (default 127.0.0.1)")
    group.add_argument("--port", type=int, help=f"HTTP transports: port (default {HTTP_PORT})")
    group.add_argument(
        "--stateless", action="store_true", help="streamable HTTP without sessions, for replicas behind a balancer"
    )
    group.add_argument(
        "--demo", action="store_true", help="answer from the bundled simulator instead of the Astro API (no account)"
    )
    return options


def _parser() -> argparse.ArgumentParser:
    server = _server_options()
    parser = argparse.ArgumentParser(
        prog="astro-ai-mcp",
        description="MCP server for the observability metrics of agents deployed on Astro AI.",
        epilog="With no command, the server runs (over stdio, as Claude Desktop starts it). Settings come from "
        "the environment (ASTRO_API_URL, ASTRO_MCP_*): see the README.",
        parents=[server],
    )
    parser.add_argument("--version", action="version", version=f"astro-ai-mcp {__version__}")
    commands = parser.add_subparsers(dest="command", title="commands")
    commands.add_parser("serve", parents=[server], help="run the MCP server (the default)")
    login = commands.add_parser("login", help="sign in to Astro AI once; saved where `ast` keeps its login")
    login.add_argument("--no-browser", action="store_true", help="print the URL, do not open a browser")
    commands.add_parser("logout", help="forget the saved login (the keyring and ~/.ast/credentials.json)")
    commands.add_parser("whoami", help="who is signed in, where the token comes from, and when it expires")
    commands.add_parser("demo", help="show what a model receives, against the bundled simulator, then exit")
    simulate = commands.add_parser("simulate", help="run the bundled Astro API simulator on loopback")
    simulate.add_argument("--host", default="127.0.0.1")
    simulate.add_argument("--port", type=int, default=8765)
    simulate.add_argument("--latency-ms", type=float, default=0.0, help="delay every answer by this much (default 0)")
    simulate.add_argument(
        "--generation",
        choices=("documented", "both", "deployment"),  # sim.platform.GENERATIONS, not imported at start-up
        default="both",
        help="documented: the API reference's routes only; deployment: the newest server's (per deployment, "
        "with /openapi.json); both (default)",
    )
    simulate.add_argument(
        "--token-lifetime", type=float, default=3600, help="seconds the access tokens it issues live (default 3600)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        settings = Settings.from_env(os.environ)
    except ConfigError as err:
        sys.stderr.write(f"astro-mcp: {err}\n")
        return 2
    logging.basicConfig(level=settings.log_level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx2").setLevel(logging.WARNING)  # it logs every request at INFO
    install_log_filter()
    remember(*(t.get_secret_value() for t in (settings.access_token, settings.auth_token) if t is not None))
    try:
        match args.command:
            case "simulate":
                if (refused := _cannot_listen(args.host, args.port)) is not None:
                    return _refuse(refused)  # before importing the simulator: at once
                from astro_mcp.sim.demo import run_simulator

                anyio.run(run_simulator, args.host, args.port, args.latency_ms, args.generation, args.token_lifetime)
            case "login" | "logout" | "whoami":
                from astro_mcp import login

                logger.setLevel(max(logger.getEffectiveLevel(), logging.WARNING))  # a person reads this terminal
                command = {"logout": login.logout, "whoami": login.whoami}.get(args.command)
                if command is None:
                    return anyio.run(lambda: login.login(settings, browser=not args.no_browser))
                return anyio.run(command, settings)
            case "demo":
                from astro_mcp.sim.demo import run_demo

                return anyio.run(run_demo)
            case _:
                return _serve(args, settings)
    except KeyboardInterrupt:
        pass
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    if args.transport == "stdio" and args.port is not None:
        sys.stderr.write("astro-mcp: --port is ignored over stdio; it applies to --transport streamable-http or sse.\n")
    port = HTTP_PORT if args.port is None else args.port
    if args.transport != "stdio" and args.host not in LOOPBACK and settings.auth_token is None:
        sys.stderr.write(
            f"astro-mcp: refusing to listen on {args.host}: over HTTP, any other address than loopback "
            "(127.0.0.1, localhost, ::1) needs ASTRO_MCP_AUTH_TOKEN set, so that only clients holding it get in.\n"
        )
        return 2
    if args.transport != "stdio" and (refused := _cannot_listen(args.host, port)) is not None:
        return _refuse(refused)  # before the server is made (the MCP SDK takes most of a second to import)
    # Importing the MCP SDK makes a hundred thousand objects that live as long as the server: the cycle collector
    # is held meanwhile, instead of walking them again and again (a tenth of the start), and they are frozen.
    gc.disable()
    try:
        server = _server(args, settings)
    finally:
        gc.freeze()
        gc.enable()
    if args.transport == "stdio":
        if sys.stdin.isatty():  # a person ran it in a terminal; an MCP client would have piped stdin
            sys.stderr.write(
                "astro-mcp is waiting for an MCP client on stdin/stdout (Claude Desktop and other hosts start it "
                "this way). Press Ctrl+C to quit. To see what it does, run `astro-ai-mcp demo`.\n"
            )
        server.run()
        return 0
    from astro_mcp.server.http import serve_http

    anyio.run(serve_http, server, settings, args.transport, args.host, port, args.stateless)
    return 0


def _server(args: argparse.Namespace, settings: Settings) -> AstroMCP:
    from astro_mcp.server import create_server

    if args.demo:
        from astro_mcp.sim.data import DEMO_AGENTS
        from astro_mcp.sim.serve import in_process

        settings, transport = in_process(settings)
        return create_server(settings, transport=transport, known_agents={a: set(n) for a, n in DEMO_AGENTS.items()})
    return create_server(settings)


def _cannot_listen(host: str, port: int) -> str | None:
    """Why nothing can listen on host:port (one line, for a person), or None when it can.

    Checked before anything starts, so a busy port gets this line, not a traceback after a "started" one.
    """
    if port == 0:
        return None
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as err:
        return f"cannot listen on {host}: {err.strerror or err}."
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: a closing socket is no owner
        try:
            probe.bind(address)
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                return f"port {port} on {host} is already in use: choose another with --port (e.g. --port {port + 1})."
            return (
                f"cannot listen on {host}:{port} ({err.strerror}): choose another port with --port, or another --host."
            )
    return None


def _refuse(reason: str) -> int:
    sys.stderr.write(f"astro-mcp: {reason}\n")
    return 2
