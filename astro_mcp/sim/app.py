"""A simulator of the Astro API's metrics endpoint: a real HTTP app, for demos, tests and benchmarks.

It serves `GET /api/v1/agents/{account}/{name}/observability/metrics` as the API reference and the
notes on the real server describe it: zero-trace buckets are left out, `interval` <= 0 or not a
number silently becomes 60, `time_range` echoes the query strings, an empty answer says 60 minutes
whatever was asked, and errors come in both body shapes (`{error, details}` and the auth
middleware's `{error, error_description}`).

It also serves `GET /api/v1/me`, the newer per-deployment and per-account routes of three server
generations (`sim.platform`), and plays WorkOS at `/user_management` (`sim.workos`): the API accepts
only the tokens it issued there, until they expire, and the permanent demo token.

Its agents and their data are in `sim.data`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from astro_mcp.sim import fleet, platform
from astro_mcp.sim import traces as sim_traces
from astro_mcp.sim.buckets import Buckets
from astro_mcp.sim.data import ACCOUNT_ERRORS, AGENT_ERRORS, Agent
from astro_mcp.sim.population import AgentView
from astro_mcp.sim.story import story_of
from astro_mcp.sim.workos import WorkOSSimulator

DEMO_TOKEN = "demo-token"
API_PREFIX = "/api/v1"
AUTH_PREFIX = "/user_management"


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
        agents: dict[str, dict[str, Agent]] = fleet.ALL_AGENTS,
        accounts: dict[str, fleet.SimAccount] = fleet.ACCOUNTS,
        latency_ms: float = 0.0,
        generation: platform.Generation = "both",
    ) -> None:
        self.clock = clock
        self.latency_ms = latency_ms  # added to every answer: stands for a real network in benchmarks
        self.slow: dict[str, float] = {}  # seconds added to every answer of one leaf ('trace': a trace's steps)
        self.anchor = (anchor or clock()).replace(second=0, microsecond=0)
        self.workos = WorkOSSimulator(tokens)
        self.agents = agents
        self.accounts = accounts
        # Which routes it serves: the documented ones, the newest server's, or both (see `sim.platform`).
        self.generation: platform.Generation = generation
        self._defaults = (latency_ms, generation)
        self.in_flight = self.max_in_flight = 0
        self.busy = 0  # requests being answered, of any route
        self.requests: list[Recorded] = []
        self.disconnects = 0
        self._script: dict[tuple[str, str, str], list[Scripted]] = {}
        self.buckets = Buckets(self.anchor, clock)  # each agent's per-minute data, and its metrics answers
        agent_routes = {"metrics": self._metrics, "traces": self._traces, "summary": self._summary}
        routes = [
            Route(f"{API_PREFIX}/agents/{{account}}/{{name}}/observability/{leaf}", handler)
            for leaf, handler in agent_routes.items()
        ]
        routes += [*fleet.routes(self, API_PREFIX), *platform.routes(self, API_PREFIX)]
        self.app = fleet.Paced(
            platform.Gate(Starlette(routes=[*routes, Mount(AUTH_PREFIX, app=self.workos.app)]), self), self
        )

    def reset(self) -> None:
        """Forget the requests seen and any script not yet played (between tests)."""
        self.requests.clear()
        self.disconnects = 0
        self._script.clear()
        self.slow.clear()
        self.latency_ms, self.generation = self._defaults
        self.max_in_flight = 0
        self.workos.reset()

    async def settled(self, within: float = 0.5) -> None:
        """Wait until no request is being answered (at most `within` seconds): one still coming in when the log is
        cleared would show up in the next test's."""
        with anyio.move_on_after(within):
            while self.busy:
                await anyio.sleep(0.005)

    def requests_to(self, leaf: str) -> list[Recorded]:
        """The requests seen for one endpoint: 'metrics', 'traces' or 'summary'."""
        return [r for r in self.requests if r.path.rsplit("/", 1)[-1] == leaf]

    def script(self, account: str, name: str, *responses: Scripted, leaf: str = "metrics") -> None:
        """Serve `responses`, in order, to the next requests for this agent at `leaf` (metrics, traces, summary)."""
        self._script.setdefault((account, name, leaf), []).extend(responses)

    def record(self, request: Request) -> str:
        """Note the request in the log; its Authorization header."""
        auth = request.headers.get("authorization", "")
        client = (request.client.host, request.client.port) if request.client else None
        self.requests.append(
            Recorded(request.url.path, dict(request.query_params), auth, request.headers.get("user-agent", ""), client)
        )
        return auth

    def admit(self, request: Request) -> Response | None:
        """Record the request; the 401 answer when its token is not accepted, else None."""
        auth = self.record(request)
        if not (auth.startswith("Bearer ") and self.workos.accepts(auth.removeprefix("Bearer "))):
            return JSONResponse({"error": "unauthorized", "error_description": "Authentication required"}, 401)
        return None

    def account_failure(self, account: str) -> tuple[int, dict[str, str]] | None:
        """The error an account's routes answer with, if any."""
        if failure := ACCOUNT_ERRORS.get(account):
            return failure
        return None if account in self.agents else (404, {"error": "account not found"})

    def deployment(self, deployment_id: str) -> tuple[str, str] | None:
        """The (account, agent) a deployment id names."""
        return next(
            (
                (a, n)
                for a, acc in self.accounts.items()
                for n in acc.deployed
                if fleet.deployment_id(a, n) == deployment_id
            ),
            None,
        )

    async def _metrics(self, request: Request) -> Response:
        if refused := self.admit(request):
            return refused
        account, name = request.path_params["account"], request.path_params["name"]
        return await self.serve(request, account, name, request.query_params.get)

    async def serve(self, request: Request, account: str, name: str, param: Callable[[str], str | None]) -> Response:
        """An agent's metrics answer: a scripted one, its account's or its own failure, or its data."""
        agent = await self.agent(request, account, name, "metrics")
        if isinstance(agent, Response):
            return agent
        return self.buckets.answer(agent, account, name, param)

    async def agent(self, request: Request, account: str, name: str, leaf: str) -> Agent | Response:
        """The agent a request names, or the answer that stands instead: scripted, or the API's error."""
        if leaf in self.slow and await self._held(request, self.slow[leaf]):
            return Response(status_code=499)
        if scripted := self._script.get((account, name, leaf)):
            return await self._play(request, scripted.pop(0))
        failure = self.account_failure(account) or AGENT_ERRORS.get((account, name))
        if failure is None and name not in self.agents[account]:
            failure = (404, {"error": "agent not found"})
        if failure is not None:
            return JSONResponse(failure[1], failure[0])
        return self.agents[account][name]

    async def _traces(self, request: Request) -> Response:
        view = await self._view(request, "traces")
        return view if isinstance(view, Response) else sim_traces.traces_response(view, request.query_params.get)

    async def _summary(self, request: Request) -> Response:
        view = await self._view(request, "summary")
        return view if isinstance(view, Response) else sim_traces.summary_response(view, request.query_params.get)

    async def _view(self, request: Request, leaf: str) -> AgentView | Response:
        if refused := self.admit(request):
            return refused
        return await self.view(request, request.path_params["account"], request.path_params["name"], leaf)

    async def view(self, request: Request, account: str, name: str, leaf: str) -> AgentView | Response:
        """The agent as the trace routes read it, or the answer that stands instead (scripted, or an error)."""
        agent = await self.agent(request, account, name, leaf)
        if isinstance(agent, Response):
            return agent
        return AgentView(
            agent,
            f"{account}/{name}",
            functools.cache(lambda day: self.buckets.day_series(agent, account, name, day)),  # read minute by minute
            self.anchor,
            self.clock(),
            story_of(account, name),
        )

    async def _play(self, request: Request, scripted: Scripted) -> Response:
        if scripted.delay and await self._held(request, scripted.delay):
            return Response(status_code=499)
        return Response(scripted.body, scripted.status, headers=scripted.headers, media_type=None)

    async def _held(self, request: Request, seconds: float) -> bool:
        """Hold the answer `seconds`, or until the client goes away (counted in `disconnects`): whether it went."""
        with anyio.move_on_after(seconds):
            while not await request.is_disconnected():
                await anyio.sleep(0.01)
            self.disconnects += 1
            return True
        return False
