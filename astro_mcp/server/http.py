"""The HTTP transports (streamable HTTP and SSE): who may connect, and serving with uvicorn.

Host and Origin are always checked (DNS-rebinding protection): loopback names, the address bound, and
whatever ASTRO_MCP_ALLOWED_HOSTS / ASTRO_MCP_ALLOWED_ORIGINS add. With ASTRO_MCP_AUTH_TOKEN set, every
MCP request needs `Authorization: Bearer <it>`; that token is ours alone and never reaches the Astro API.

Limits (all settings): stateful streamable HTTP keeps at most ASTRO_MCP_MAX_SESSIONS sessions and ends
one idle for ASTRO_MCP_SESSION_IDLE_TIMEOUT seconds (`--stateless` keeps none); connections are capped
and must send their headers in time (`server.guard`).
"""

from __future__ import annotations

import gc
import hmac
import logging
from typing import TYPE_CHECKING, Any, Literal

from mcp.server import MCPServer
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import SecretStr
from starlette.applications import Starlette

from astro_mcp.config import Settings
from astro_mcp.server.protocol import AstroMCP

if TYPE_CHECKING:  # uvicorn is imported when an HTTP transport starts: stdio starts faster without it
    import uvicorn

logger = logging.getLogger(__name__)

HttpTransport = Literal["sse", "streamable-http"]
_LOOPBACK_HOSTS = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
_LOOPBACK_ORIGINS = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
_WILDCARDS = ("0.0.0.0", "::", "")
# AuthSettings requires an issuer; with no authorization server and no resource metadata it is never used.
AUTH = AuthSettings(issuer_url="http://localhost", resource_server_url=None)


class StaticTokenVerifier:
    """Accepts exactly one bearer token, compared in constant time."""

    def __init__(self, secret: SecretStr) -> None:
        self._secret = secret.get_secret_value().encode()

    async def verify_token(self, token: str) -> AccessToken | None:
        if hmac.compare_digest(token.encode(), self._secret):
            return AccessToken(token=token, client_id="astro-mcp-client", scopes=[])
        return None


def transport_security(settings: Settings, host: str) -> TransportSecuritySettings:
    """Host/Origin allow-lists: always on, whatever address is bound."""
    hosts = list(_LOOPBACK_HOSTS)
    if host not in _WILDCARDS and f"{host}:*" not in hosts:
        hosts.append(f"[{host}]:*" if ":" in host else f"{host}:*")
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[*hosts, *settings.allowed_hosts],
        allowed_origins=[*_LOOPBACK_ORIGINS, *settings.allowed_origins],
    )


def build_app(
    server: MCPServer[Any], settings: Settings, transport: HttpTransport, host: str, stateless: bool
) -> Starlette:
    """The ASGI app for one HTTP transport: `/mcp` (streamable HTTP) or `/sse` + `/messages/`, and `/healthz`."""
    security = transport_security(settings, host)
    limit = settings.max_request_kb * 1024
    if transport == "sse":
        return server.sse_app(transport_security=security, host=host, max_request_body_size=limit)
    return server.streamable_http_app(
        stateless_http=stateless,
        transport_security=security,
        host=host,
        max_request_body_size=limit,
        session_idle_timeout=settings.session_idle_timeout,
        max_sessions=settings.max_sessions,
    )


async def serve_http(
    server: AstroMCP, settings: Settings, transport: HttpTransport, host: str, port: int, stateless: bool
) -> None:
    """Serve until stopped. A server that lives long loads what the first call needs before it listens."""
    await server.load()
    app = build_app(server, settings, transport, host, stateless)
    path = "/sse" if transport == "sse" else "/mcp"
    shown = f"[{host}]" if ":" in host else host
    auth = "bearer token required" if settings.auth_token else "no token: loopback only"
    logger.warning("astro-mcp %s on http://%s:%d%s (%s)", transport, shown, port, path, auth)
    import uvicorn

    config = uvicorn_config(app, settings, host, port)
    # What start-up made lives as long as the server: out of the cycle collector's sight, a full collection under
    # load (hundreds of requests in flight) no longer walks every module, model and schema (`bench load`).
    gc.collect()
    gc.freeze()
    await uvicorn.Server(config).serve()


def uvicorn_config(app: Starlette, settings: Settings, host: str, port: int) -> uvicorn.Config:
    """uvicorn with our connection limits; log_config=None: its loggers go through ours, to stderr."""
    import uvicorn
    from uvicorn.protocols.http.h11_impl import H11Protocol  # used only as an asyncio.Protocol

    from astro_mcp.server.guard import ConnectionGuard

    guard = ConnectionGuard(settings.max_connections, settings.header_timeout)
    return uvicorn.Config(
        guard.middleware(app),
        host=host,
        port=port,
        log_config=None,
        http=guard.protocol(H11Protocol),
        timeout_keep_alive=settings.keep_alive_timeout,
        # asyncio accepts up to `backlog` sockets per wake-up before the guard sees any of them, so uvicorn's
        # 2048 let a burst hold some 850 descriptors with the cap at 256; 64 keeps the overshoot small.
        backlog=64,
    )
