"""The simulated fleet: `/me`, `/deployments` and the newer per-deployment metrics route, consistent with the agents.

Several accounts: `astro-team` (the demo agents, all running), `data-team` (a stopped deployment, a
pending one and an agent registered but never deployed), a personal account, `large-org` with
500 cheap agents for bound and load tests, and `zoo` (`sim.zoo`: one agent per situation to recognise).
`with_huge_org` adds `huge-org`, 3,000 deployments, for the tests that page through them.
`Paced` wraps the whole app: a delay on every answer (what a real network does to a fan-out) and a count
of the requests in flight.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from astro_mcp.sim.data import DEMO_AGENTS, Agent, Incident
from astro_mcp.sim.workos import USER
from astro_mcp.sim.zoo import ZOO

if TYPE_CHECKING:
    from astro_mcp.sim.app import Simulator

GRANULARITIES = {"hour": 60, "day": 1440, "week": 10080, "month": 43200}
LARGE_ORG_SIZE = 500


@dataclass(frozen=True)
class SimAccount:
    """An account as `/me` and `/deployments` show it: deployed agents with their status, and registered ones."""

    type: str
    role: str
    deployed: dict[str, str]
    registered: tuple[str, ...] = ()
    agents: dict[str, Agent] = field(default_factory=dict)


def _large_org() -> dict[str, Agent]:
    # Most agents share a few seeds, so 500 agents cost a handful of generated days, not 500 of them.
    agents = {
        f"agent-{i:03d}": Agent("healthy, light traffic", 0.2, seed=f"large-org/{i % 4}") for i in range(LARGE_ORG_SIZE)
    }
    agents["agent-013"] = Agent(
        "an error spike still going: 35% errors for the last 2 hours",
        0.4,
        incidents=(Incident(timedelta(hours=-2), timedelta(days=3650), error_rate=0.35),),
    )
    agents["agent-250"] = Agent(
        "a latency regression since 8 hours before the anchor",
        0.4,
        incidents=(Incident(timedelta(hours=-8), timedelta(days=3650), latency_factor=3.0),),
    )
    return agents


_DATA_TEAM = {
    "etl-agent": Agent("healthy: steady", 1.5, latency_ms=900.0),
    "report-agent": Agent("stopped: no traffic", 0.0),
    "triage-agent": Agent("pending: not serving yet", 0.0),
}
_LARGE = _large_org()
ACCOUNTS: dict[str, SimAccount] = {
    "astro-team": SimAccount("team", "owner", dict.fromkeys(DEMO_AGENTS["astro-team"], "Running")),
    "data-team": SimAccount(
        "team",
        "member",
        {"etl-agent": "Running", "report-agent": "Stopped", "triage-agent": "Pending"},
        registered=("sql-helper",),
        agents=_DATA_TEAM,
    ),
    "ada-lovelace": SimAccount(
        "personal", "owner", {"scratch-agent": "Running"}, agents={"scratch-agent": Agent("light use", 0.3)}
    ),
    "large-org": SimAccount("organization", "member", dict.fromkeys(_LARGE, "Running"), agents=_LARGE),
    "zoo": SimAccount("team", "member", dict.fromkeys(ZOO, "Running"), agents=ZOO),
}
ALL_AGENTS: dict[str, dict[str, Agent]] = {
    **DEMO_AGENTS,
    **{name: a.agents for name, a in ACCOUNTS.items() if a.agents},
}


HUGE_ORG_SIZE = 3_000


def with_huge_org() -> tuple[dict[str, SimAccount], dict[str, dict[str, Agent]]]:
    """The accounts and agents, plus `huge-org`: 3,000 deployments (some stopped or pending), 20 registered only.

    Its agents share four seeds, so their metrics cost a handful of generated days.
    """
    names = [f"agent-{i:04d}" for i in range(HUGE_ORG_SIZE)]
    status = {n: "Stopped" if i % 97 == 0 else "Pending" if i % 89 == 0 else "Running" for i, n in enumerate(names)}
    agents = {n: Agent("healthy, light traffic", 0.2, seed=f"large-org/{i % 4}") for i, n in enumerate(names)}
    huge = SimAccount(
        "organization", "member", status, registered=tuple(f"draft-{i:02d}" for i in range(20)), agents=agents
    )
    return {**ACCOUNTS, "huge-org": huge}, {**ALL_AGENTS, "huge-org": agents}


def deployment_id(account: str, name: str) -> str:
    return f"dep-{account}-{name}"


def routes(sim: Simulator, prefix: str) -> list[Route]:
    """The fleet's routes, answering from `sim`'s accounts and agents."""

    async def me(request: Request) -> Response:
        if refused := sim.admit(request):
            return refused
        return JSONResponse({"user": USER, "accounts": [_me_account(n, a) for n, a in sim.accounts.items()]})

    async def deployments(request: Request) -> Response:
        if refused := sim.admit(request):
            return refused
        account = request.query_params.get("account", "")
        if not account:
            return JSONResponse({"error": "account query parameter is required"}, 400)
        if failure := sim.account_failure(account):
            return JSONResponse(failure[1], failure[0])
        listed = [_deployment(account, n, s) for n, s in sim.accounts[account].deployed.items()]
        return JSONResponse({"deployments": listed, "count": len(listed)})

    async def metrics(request: Request) -> Response:
        if refused := sim.admit(request):
            return refused
        found = sim.deployment(request.path_params["id"])
        if found is None:
            return JSONResponse({"error": "deployment not found"}, 404)
        granularity = request.query_params.get("granularity") or "day"
        if granularity not in GRANULARITIES:
            return JSONResponse({"error": "invalid granularity; must be hour, day, week, or month"}, 400)
        minutes = str(GRANULARITIES[granularity])
        answer = await sim.serve(
            request, *found, lambda key: minutes if key == "interval" else request.query_params.get(key)
        )
        if answer.status_code != 200:
            return answer
        return Response(_without_errors(answer.body), media_type="application/json")

    return [
        Route(prefix + "/me", me),
        Route(prefix + "/deployments", deployments),
        Route(prefix + "/deployments/{id}/observability/metrics", metrics),
    ]


def _me_account(name: str, a: SimAccount) -> dict[str, object]:
    agents = [*a.deployed, *a.registered]
    return {
        "id": f"acct_{name}",
        "name": name,
        "type": a.type,
        "role": a.role,
        "agents": [{"name": n, "registry": "astro", "build_count": 3, "published_version_count": 1} for n in agents],
    }


def _deployment(account: str, name: str, status: str) -> dict[str, object]:
    # The docs' fields and the CLI's together; a client must ignore what it does not know.
    running = status == "Running"
    return {
        "id": deployment_id(account, name),
        "name": name,
        "display_name": name.replace("-", " ").title(),
        "build_id": f"build-{name}-3",
        "namespace": f"ns-{account}",
        "status": status,
        "replicas": 1,
        "ready": 1 if running else 0,
        "created_at": "2026-11-01T12:00:00Z",
        "components": [],
    }


def _without_errors(body: bytes | memoryview) -> bytes:
    """As the newer server does: `error_count` always 0, and latency percentiles per bucket."""
    data = json.loads(bytes(body))
    for bucket in data.get("buckets", []):
        bucket["error_count"] = 0
        mean = bucket["avg_latency_ms"]
        bucket |= {"p95_latency_ms": round(mean * 1.8, 1), "min_latency_ms": round(mean * 0.4, 1)}
        bucket["max_latency_ms"] = round(mean * 3.0, 1)
    return json.dumps(data).encode()


class Paced:
    """ASGI wrapper: every answer waits `sim.latency_ms` before it is sent (a request is seen, and recorded, when it
    comes, as a server's log has it); counts the metrics requests in flight and their peak (the bound a fan-out
    keeps; a listing or /openapi.json read beside them is not one of its places)."""

    def __init__(self, app: ASGIApp, sim: Simulator) -> None:
        self.app = app
        self.sim = sim

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sim = self.sim
        counted = scope["path"].endswith("/observability/metrics")
        sim.in_flight += counted
        sim.busy += 1
        sim.max_in_flight = max(sim.max_in_flight, sim.in_flight)
        delay = sim.latency_ms / 1000

        async def paced(message: Message) -> None:
            if message["type"] == "http.response.start" and delay:
                await anyio.sleep(delay)
            await send(message)

        try:
            await self.app(scope, receive, paced)
        finally:
            sim.in_flight -= counted
            sim.busy -= 1
