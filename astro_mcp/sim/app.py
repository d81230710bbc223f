"""A simulator of the Astro API's metrics endpoint: a real HTTP app, for demos, tests and benchmarks.

It serves `GET /api/v1/agents/{account}/{name}/observability/metrics` as the API reference and the
notes on the real server describe it: zero-trace buckets are left out, `interval` <= 0 or not a
number silently becomes 60, `time_range` echoes the query strings, an empty answer says 60 minutes
whatever was asked, and errors come in both body shapes (`{error, details}` and the auth
middleware's `{error, error_description}`).

Its agents and their data are in `sim.data`.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager as AsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import anyio
import httpx2
import uvicorn
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from astro_mcp.config import Settings
from astro_mcp.sim.data import ACCOUNT_ERRORS, AGENT_ERRORS, DAY, DEMO_AGENTS, Agent, Series, generate

DEMO_TOKEN = "demo-token"
API_PREFIX = "/api/v1"
_MAX_DAYS = 400


@dataclass(frozen=True)
class Scripted:
    """A response served instead of the real one (fault injection): status, raw body, headers, delay."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class Recorded:
    path: str
    query: dict[str, str]
    authorization: str
    user_agent: str
    client: tuple[str, int] | None


class Simulator:
    """The simulated API: its data, its token check, its request log and its fault script."""

    def __init__(
        self,
        *,
        anchor: datetime | None = None,
        tokens: frozenset[str] = frozenset({DEMO_TOKEN}),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        agents: dict[str, dict[str, Agent]] = DEMO_AGENTS,
        latency_ms: float = 0.0,
    ) -> None:
        self.clock = clock
        self.latency_ms = latency_ms  # added to every answer: stands for a real network in benchmarks
        self.anchor = (anchor or clock()).replace(second=0, microsecond=0)
        self.tokens = tokens
        self.agents = agents
        self.requests: list[Recorded] = []
        self.disconnects = 0
        self._script: dict[tuple[str, str], list[Scripted]] = {}
        self._days: dict[tuple[str, str, int], Series] = {}
        self._rendered: dict[tuple[str, str, int, int], list[str]] = {}
        self.app = Starlette(
            routes=[Route(API_PREFIX + "/agents/{account}/{name}/observability/metrics", self._metrics)]
        )

    def reset(self) -> None:
        """Forget the requests seen and any script not yet played (between tests)."""
        self.requests.clear()
        self.disconnects = 0
        self._script.clear()

    def script(self, account: str, name: str, *responses: Scripted) -> None:
        """Serve `responses`, in order, to the next requests for this agent."""
        self._script.setdefault((account, name), []).extend(responses)

    async def _metrics(self, request: Request) -> Response:
        account, name = request.path_params["account"], request.path_params["name"]
        auth = request.headers.get("authorization", "")
        client = (request.client.host, request.client.port) if request.client else None
        self.requests.append(
            Recorded(request.url.path, dict(request.query_params), auth, request.headers.get("user-agent", ""), client)
        )
        if self.latency_ms:
            await anyio.sleep(self.latency_ms / 1000)
        if not auth.startswith("Bearer ") or auth.removeprefix("Bearer ") not in self.tokens:
            return JSONResponse({"error": "unauthorized", "error_description": "Authentication required"}, 401)
        if scripted := self._script.get((account, name)):
            return await self._play(request, scripted.pop(0))
        failure = ACCOUNT_ERRORS.get(account) or AGENT_ERRORS.get((account, name))
        if failure is None and account not in self.agents:
            failure = (404, {"error": "account not found"})
        if failure is None and name not in self.agents[account]:
            failure = (404, {"error": "agent not found"})
        if failure is not None:
            return JSONResponse(failure[1], failure[0])
        return self._answer(self.agents[account][name], account, name, request.query_params.get)

    async def _play(self, request: Request, scripted: Scripted) -> Response:
        if scripted.delay:
            with anyio.move_on_after(scripted.delay):
                while not await request.is_disconnected():
                    await anyio.sleep(0.01)
                self.disconnects += 1
                return Response(status_code=499)
        return Response(scripted.body, scripted.status, headers=scripted.headers, media_type=None)

    def _answer(self, agent: Agent, account: str, name: str, param: Callable[[str], str | None]) -> Response:
        start_raw, end_raw = param("start_time") or "", param("end_time") or ""
        interval = _lenient_interval(param("interval"))
        empty = {"buckets": [], "time_range": {"start": start_raw, "end": end_raw}, "interval_minutes": 60}
        if not start_raw or not end_raw:
            return JSONResponse(empty)
        try:
            start, end = _parse(start_raw), _parse(end_raw)
        except ValueError:
            return JSONResponse({"error": "failed to query metrics"}, 502)
        if (end - start).total_seconds() > _MAX_DAYS * 86400:
            return JSONResponse({"error": "failed to query metrics"}, 502)
        buckets = self._buckets(agent, account, name, start, end, interval)
        if not buckets:
            return JSONResponse(empty)
        time_range = json.dumps({"start": start_raw, "end": end_raw})
        body = f'{{"buckets":[{",".join(buckets)}],"time_range":{time_range},"interval_minutes":{interval}}}'
        return Response(body, media_type="application/json")

    def _buckets(
        self, agent: Agent, account: str, name: str, start: datetime, end: datetime, interval: int
    ) -> list[str]:
        """The non-empty buckets of [start, end) as JSON, aligned to multiples of `interval` since the epoch."""
        first = math.ceil(start.timestamp() / 60)
        last = min(math.ceil(end.timestamp() / 60), math.floor(self.clock().timestamp() / 60))  # none from the future
        if DAY % interval:
            return self._render(agent, account, name, first, last, interval)
        # Buckets never cross midnight: whole days are rendered once and kept.
        parts: list[str] = []
        minute = first
        while minute < last:
            day = minute // DAY
            stop = min(last, (day + 1) * DAY)
            if minute == day * DAY and stop == (day + 1) * DAY:
                key = (account, name, day, interval)
                if key not in self._rendered:
                    if len(self._rendered) > 4096:
                        self._rendered.clear()
                    self._rendered[key] = self._render(agent, account, name, minute, stop, interval)
                parts.extend(self._rendered[key])
            else:
                parts.extend(self._render(agent, account, name, minute, stop, interval))
            minute = stop
        return parts

    def _render(self, agent: Agent, account: str, name: str, first: int, last: int, interval: int) -> list[str]:
        sums: dict[int, list[float]] = {}
        minute = first
        while minute < last:
            day, offset = divmod(minute, DAY)
            series = self._day(agent, account, name, day)
            for m in range(offset, min(last - day * DAY, DAY)):
                traces = series.traces[m]
                if traces:
                    row = (
                        traces,
                        series.errors[m],
                        series.latency_sum[m],
                        series.input_tokens[m],
                        series.output_tokens[m],
                    )
                    acc = sums.setdefault((day * DAY + m) // interval * interval, [0, 0, 0.0, 0, 0])
                    for i, value in enumerate(row):
                        acc[i] += value
            minute = (day + 1) * DAY
        return [
            f'{{"timestamp":"{datetime.fromtimestamp(key * 60, UTC):%Y-%m-%dT%H:%M:%SZ}","trace_count":{int(a[0])},'
            f'"avg_latency_ms":{round(a[2] / a[0], 1)},"input_tokens":{int(a[3])},"output_tokens":{int(a[4])},'
            f'"error_count":{int(a[1])}}}'
            for key, a in sorted(sums.items())
        ]

    def _day(self, agent: Agent, account: str, name: str, day: int) -> Series:
        key = (account, name, day)
        series = self._days.get(key)
        if series is None:
            series = self._days[key] = generate(agent, f"{account}/{name}", day, self.anchor)
        return series


def in_process(settings: Settings) -> tuple[Settings, httpx2.ASGITransport]:
    """Settings and a transport that hand the client's requests straight to a fresh simulator: no socket."""
    demo = settings.model_copy(
        update={"api_url": "http://simulator" + API_PREFIX, "access_token": SecretStr(DEMO_TOKEN)}
    )
    return demo, httpx2.ASGITransport(app=Simulator().app)


def _lenient_interval(raw: str | None) -> int:
    """As the real server does: anything not a positive integer becomes 60."""
    try:
        value = int(raw or "")
    except ValueError:
        return 60
    return value if value > 0 else 60


def _parse(raw: str) -> datetime:
    moment = datetime.fromisoformat(raw)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def serve_simulator(simulator: Simulator, host: str = "127.0.0.1", port: int = 0) -> AsyncContextManager[str]:
    """Run the simulator on uvicorn inside the current event loop; yield its API base URL."""
    return serve_app(simulator.app, host, port, API_PREFIX)


@contextlib.asynccontextmanager
async def serve_app(app: ASGIApp, host: str = "127.0.0.1", port: int = 0, prefix: str = "") -> AsyncIterator[str]:
    """Run any ASGI app on uvicorn inside the current event loop (port 0: any free one); yield its URL."""
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    async with anyio.create_task_group() as tg:
        tg.start_soon(server.serve)
        with anyio.fail_after(10):
            while not server.started:
                await anyio.sleep(0.005)
        bound_port = server.servers[0].sockets[0].getsockname()[1]
        try:
            yield f"http://{host}:{bound_port}{prefix}"
        finally:
            server.should_exit = True
