"""The simulator's newer routes, and the three server generations it can play.

- `documented`: only the routes of the API reference (per-agent observability, `/me`, `/deployments`).
- `both`: those and everything the newest server source serves per deployment and per account.
- `deployment`: the newest source: no per-agent observability routes, and an `/openapi.json` on the host
  root that lists what it serves.

A route a generation does not serve answers as a router does: 404 with a plain-text body. Deploy
history, alerts, events and restarts come from `sim.story`; the per-deployment traces, one trace's
observations and the account summaries from the same series as the metrics.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from astro_mcp.sim import costs, observations
from astro_mcp.sim import traces as sim_traces
from astro_mcp.sim.fleet import deployment_id
from astro_mcp.sim.population import AgentView
from astro_mcp.sim.story import story_of

if TYPE_CHECKING:
    from astro_mcp.sim.app import Simulator

Generation = Literal["documented", "both", "deployment"]
GENERATIONS: tuple[Generation, ...] = ("documented", "both", "deployment")

# The routes below /api/v1 that only the newer servers have; and the per-agent ones the newest lacks.
NEWER = (
    "/deployments/{id}/observability/metrics",
    "/deployments/{id}/observability/summary",
    "/deployments/{id}/observability/traces",
    "/deployments/{id}/observability/traces/{traceId}",
    "/deployments/{id}/alerts",
    "/deployments/{id}/events",
    "/deployments/{id}/runtime",
    "/agents/{account}/{name}/deployment/history",
    "/accounts/{account}/observability/summary",
    "/accounts/{account}/observability/deployments-summary",
)
DOCUMENTED_ONLY = tuple(
    f"/agents/{{account}}/{{name}}/observability/{leaf}" for leaf in ("metrics", "summary", "traces")
)
SHARED = ("/me", "/deployments", "/agents/{account}/{name}/deployment")


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile("^/api/v1" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")


_NEWER = [_pattern(t) for t in NEWER]
_DOCUMENTED_ONLY = [_pattern(t) for t in DOCUMENTED_ONLY]


def served(generation: Generation, path: str) -> bool:
    """Whether a server of `generation` has a route for `path`."""
    if path == "/openapi.json":
        return generation == "deployment"
    if generation == "documented":
        return not any(p.match(path) for p in _NEWER)
    if generation == "deployment":
        return not any(p.match(path) for p in _DOCUMENTED_ONLY)
    return True


def openapi() -> dict[str, object]:
    """What the newest server publishes about itself: its paths, below the server URL `/api/v1`."""
    paths = {t: {"get": {"responses": {"200": {"description": "OK"}}}} for t in (*SHARED, *NEWER)}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Astro API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
    }


class Gate:
    """ASGI wrapper: a route the simulator's current generation lacks answers a router's plain 404."""

    def __init__(self, app: ASGIApp, sim: Simulator) -> None:
        self.app = app
        self.sim = sim

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not served(self.sim.generation, scope["path"]):
            self.sim.record(Request(scope))
            await PlainTextResponse("404 page not found", 404)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _window(request: Request, start_key: str, end_key: str, now: datetime) -> tuple[int, int] | Response:
    try:
        start = sim_traces.parse_moment(request.query_params.get(start_key) or "")
        end = sim_traces.parse_moment(request.query_params.get(end_key) or "")
    except ValueError:
        return JSONResponse({"error": f"{start_key} and {end_key} must be RFC 3339 times"}, 400)
    return costs.minutes_of(start, end, now)


def _moment(anchor: datetime, offset: timedelta | None) -> str | None:
    return None if offset is None else (anchor + offset).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def routes(sim: Simulator, prefix: str) -> list[Route]:
    """The newer routes, answering from `sim`'s agents, their stories and their series."""
    p = _Platform(sim)
    d = prefix + "/deployments/{id}"
    return [
        Route("/openapi.json", p.spec),
        Route(prefix + "/agents/{account}/{name}/deployment/history", p.history),
        Route(d + "/alerts", p.alerts),
        Route(d + "/events", p.events),
        Route(d + "/runtime", p.runtime),
        Route(d + "/observability/summary", p.summary),
        Route(d + "/observability/traces", p.trace_list),
        Route(d + "/observability/traces/{trace_id}", p.trace_detail),
        Route(prefix + "/accounts/{account}/observability/summary", p.totals),
        Route(prefix + "/accounts/{account}/observability/deployments-summary", p.per_deployment),
    ]


class _Platform:
    """One handler per newer route."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.ledger = costs.Ledger(
            lambda account, name, day: sim.buckets.day_series(sim.agents[account][name], account, name, day)
        )

    async def deployed(self, request: Request, leaf: str) -> AgentView | Response:
        sim = self.sim
        if refused := sim.admit(request):
            return refused
        found = sim.deployment(request.path_params["id"])
        if found is None:
            return JSONResponse({"error": "deployment not found"}, 404)
        return await sim.view(request, *found, leaf)

    async def history(self, request: Request) -> Response:
        sim = self.sim
        if refused := sim.admit(request):
            return refused
        account, name = request.path_params["account"], request.path_params["name"]
        if failure := sim.account_failure(account):
            return JSONResponse(failure[1], failure[0])
        if name not in sim.accounts[account].deployed:
            return JSONResponse({"error": "agent not found"}, 404)
        deploys = story_of(account, name).deploys
        ends = [d.at for d in deploys[1:]] + [None]
        rows = [
            {
                "id": f"{deployment_id(account, name)}-r{i + 1}",
                "agent_name": name,
                "revision": i + 1,
                "build_id": d.build_id,
                "status": "active" if end is None else "rolled_back" if deploys[i + 1].rollback else "superseded",
                "deployed_at": _moment(sim.anchor, d.at),
                "undeployed_at": _moment(sim.anchor, end),
                "rollback": d.rollback,
            }
            for i, (d, end) in enumerate(zip(deploys, ends, strict=True))
        ]
        return JSONResponse({"deployments": rows[::-1]})  # newest first

    async def alerts(self, request: Request) -> Response:
        view = await self.deployed(request, "alerts")
        if isinstance(view, Response):
            return view
        return JSONResponse(
            [
                {
                    "name": a.name,
                    "title": a.title,
                    "severity": a.severity,
                    "state": a.state,
                    "activeSince": _moment(self.sim.anchor, a.since),
                }
                for a in view.story.alerts
            ]
        )

    async def events(self, request: Request) -> Response:
        view = await self.deployed(request, "events")
        if isinstance(view, Response):
            return view
        rows = [
            {
                "type": "Normal" if e.severity == "info" else "Warning",
                "reason": e.reason,
                "message": e.message,
                "severity": e.severity,
                "guidance": e.guidance,
                "count": e.count,
                "last_seen": _moment(self.sim.anchor, e.at),
            }
            for e in view.story.events
        ]
        return JSONResponse({"events": rows})

    async def runtime(self, request: Request) -> Response:
        view = await self.deployed(request, "runtime")
        if isinstance(view, Response):
            return view
        story = view.story
        pod = {"name": f"{request.path_params['id']}-0", "phase": "Running", "ready": story.restarts == 0}
        pod |= {"restart_count": story.restarts, "last_termination_reason": story.last_termination}
        return JSONResponse({"pods": [pod]})

    async def summary(self, request: Request) -> Response:
        view = await self.deployed(request, "summary")
        return view if isinstance(view, Response) else sim_traces.summary_response(view, request.query_params.get)

    async def trace_list(self, request: Request) -> Response:
        view = await self.deployed(request, "traces")
        if isinstance(view, Response):
            return view
        return sim_traces.traces_response(
            view, lambda k: None if k == "status" else request.query_params.get(k), observations.row_json
        )

    async def trace_detail(self, request: Request) -> Response:
        view = await self.deployed(request, "trace")
        if isinstance(view, Response):
            return view
        skeleton = observations.find(view, request.path_params["trace_id"])
        if skeleton is None:
            return JSONResponse({"error": "trace not found"}, 404)
        return Response(sim_traces.dumps(observations.detail_json(view, skeleton)), media_type="application/json")

    async def account_summary(self, request: Request, deployments: bool) -> Response:
        sim = self.sim
        if refused := sim.admit(request):
            return refused
        account = request.path_params["account"]
        if failure := sim.account_failure(account):
            return JSONResponse(failure[1], failure[0])
        window = _window(request, "from", "to", sim.clock())
        if isinstance(window, Response):
            return window
        deployed_agents = sim.accounts[account].deployed
        if deployments:
            body = costs.deployments_summary(
                self.ledger, account, deployed_agents, window, lambda n: deployment_id(account, n)
            )
        else:
            body = costs.account_summary(self.ledger, account, list(deployed_agents), window)
        return JSONResponse(body)

    async def totals(self, request: Request) -> Response:
        return await self.account_summary(request, deployments=False)

    async def per_deployment(self, request: Request) -> Response:
        return await self.account_summary(request, deployments=True)

    async def spec(self, request: Request) -> Response:
        self.sim.record(request)  # public, as the real one is: no token needed
        return JSONResponse(openapi())
