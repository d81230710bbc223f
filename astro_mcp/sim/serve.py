"""Running the simulator: on uvicorn in the current event loop, or in-process behind an httpx2 transport."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager as AsyncContextManager

import anyio
import httpx2
import uvicorn
from pydantic import SecretStr
from starlette.types import ASGIApp

from astro_mcp.config import Settings
from astro_mcp.sim.app import API_PREFIX, DEMO_TOKEN, Simulator


def in_process(settings: Settings) -> tuple[Settings, httpx2.ASGITransport]:
    """Settings and a transport that hand the client's requests straight to a fresh simulator: no socket."""
    demo = settings.model_copy(
        update={"api_url": "http://simulator" + API_PREFIX, "access_token": SecretStr(DEMO_TOKEN)}
    )
    return demo, httpx2.ASGITransport(app=Simulator().app)


def serve_simulator(simulator: Simulator, host: str = "127.0.0.1", port: int = 0) -> AsyncContextManager[str]:
    """Run the simulator on uvicorn inside the current event loop; yield its API base URL."""
    return serve_app(simulator.app, host, port, API_PREFIX)


@contextlib.asynccontextmanager
async def serve_app(
    app: ASGIApp, host: str = "127.0.0.1", port: int = 0, prefix: str = "", config: uvicorn.Config | None = None
) -> AsyncIterator[str]:
    """Run any ASGI app on uvicorn inside the current event loop (port 0: any free one); yield its URL.

    `config`, when given, is used instead of a default one (and its app, host and port with it).
    """
    config = config or uvicorn.Config(app, host=host, port=port, log_level="warning")
    server = uvicorn.Server(config)
    async with anyio.create_task_group() as tg:
        tg.start_soon(server.serve)
        with anyio.fail_after(10):
            while not server.started:
                await anyio.sleep(0.005)
        bound_port = server.servers[0].sockets[0].getsockname()[1]
        try:
            yield f"http://{config.host}:{bound_port}{prefix}"
        finally:
            server.should_exit = True
