"""The fleet: the user's accounts and their agents, and all of an account's agents at once, the worst few with
what the platform knew around the onset of their incident."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

import anyio

from astro_mcp import progress
from astro_mcp.advice import brief
from astro_mcp.analysis.compare import on_bucket_grid
from astro_mcp.analysis.context import context_of, fleet_notes
from astro_mcp.analysis.cost import Ledger, costed, priced
from astro_mcp.analysis.fleet import fleet_of, merge_agents
from astro_mcp.analysis.ordering import in_order
from astro_mcp.analysis.overview import (
    CONTEXT_ITEMS,
    failed_row,
    leading,
    needing_context,
    not_deployed_row,
    overview,
    row_of,
    with_context,
)
from astro_mcp.analysis.results.fleet import Fleet, FleetAccount, FleetAgent
from astro_mcp.analysis.results.metrics import Incident, MetricsSummary
from astro_mcp.analysis.results.overview import AccountOverview, AgentRow, OverviewWindow, Sort
from astro_mcp.api.wire import Deployment, MeAccount
from astro_mcp.domain import AgentRef, MetricsQuery
from astro_mcp.errors import AstroError, RequestTimeoutError
from astro_mcp.query.slugs import checked_agent
from astro_mcp.service import nearby
from astro_mcp.service.metrics import MetricsCases
from astro_mcp.service.upstream import Upstream

T = TypeVar("T")
PER_DEPLOYMENT_NOTE = (
    "This Astro server serves metrics per deployment only: hour/day buckets, and no error counts "
    "(error rates are not available, not zero)."
)


_RANKED_KEPT = 16


@dataclass(frozen=True)
class _Ranked:
    overview: AccountOverview
    onsets: Mapping[str, Incident]
    periods: Mapping[str, int]
    expires: float  # anyio's clock


class FleetCases:
    """`list_agents` and the account overview."""

    def __init__(self, upstream: Upstream, metrics: MetricsCases) -> None:
        self._up = upstream
        self._metrics = metrics
        # The overviews ranked within their window's cache TTL, by (window, sort): the next pages of one are cut
        # from it, not read, judged and ranked again from each agent's summary.
        self._ranked: dict[tuple[MetricsQuery, Sort], _Ranked] = {}
        # Each account's deployed agents, made from the deployments list the upstream cache handed out (the very
        # list, kept for a minute): the pages of a 3,000-agent account are cut from them, not made again each.
        self._deployed: dict[str, tuple[list[Deployment], list[FleetAgent]]] = {}

    async def list_agents(self, account: str | None, deadline: float | None = None) -> Fleet:
        """The user's accounts (or one), each with its agents and their deployment status; raises `AstroError`.

        An account whose deployments are not in by `deadline` says so, and the others are answered.
        """
        me = await self._up.me(deadline)
        chosen = [a for a in me.accounts if account is None or a.name == account]
        if account is not None and not chosen:
            chosen = [MeAccount(name=account)]
        bound = self._up.fan_out

        async def one(a: MeAccount) -> FleetAccount:
            try:
                with _by(deadline):
                    async with bound:
                        return await self._account(a, deadline)
            except AstroError as err:
                agents = merge_agents([g.name for g in a.agents], [])
                return FleetAccount(name=a.name, type=a.type, role=a.role, agents=agents, error=brief(err))

        return fleet_of(await _gather([one(a) for a in chosen]))

    async def _account(self, a: MeAccount, deadline: float | None) -> FleetAccount:
        deployments = await self._up.deployments(a.name, deadline)
        made = self._deployed.get(a.name)
        if made is None or made[0] is not deployments:
            deployed = [
                FleetAgent(
                    name=d.name or d.display_name or "",
                    deployed=True,
                    status=d.status,
                    deployment_id=d.id,
                    created_at=d.created_at,
                )
                for d in deployments
                if d.name or d.display_name
            ]
            made = self._deployed[a.name] = (deployments, deployed)
        agents = merge_agents([g.name for g in a.agents], made[1])
        return FleetAccount(name=a.name, type=a.type, role=a.role, agents=agents)

    async def overview(
        self, window: MetricsQuery, deadline: float | None = None, sort: Sort = "attention", offset: int = 0
    ) -> AccountOverview:
        """Every agent of the window's account, fetched concurrently (bounded), with the account's costs beside them
        (one request), in `sort` order, the first few needing attention on the page from `offset` with their
        context; raises `AstroError`.

        One agent's failure is its row; only a failure to list the account's agents fails the whole call. By
        `deadline` (`anyio`'s clock), the rows that are done are answered and the others say "timed out".
        """
        # One clock reading for every agent. Starting on a bucket boundary, each agent's window and the one
        # before it come in one request, exactly: half the requests under the same bound.
        base = on_bucket_grid(window)
        ranked = self._ranked.get((base, sort))
        if ranked is None or ranked.expires <= anyio.current_time():
            ranked = await self._rank(base, deadline, sort)
            if all(row.status != "failed" for row in ranked.overview.agents):  # a failed row is asked again
                self._keep((base, sort), ranked)
        return await self._explained(ranked.overview, ranked.onsets, ranked.periods, offset, deadline)

    def _keep(self, key: tuple[MetricsQuery, Sort], ranked: _Ranked) -> None:
        now = anyio.current_time()
        self._ranked = {k: r for k, r in self._ranked.items() if r.expires > now}
        if len(self._ranked) < _RANKED_KEPT:
            self._ranked[key] = ranked

    async def _rank(self, base: MetricsQuery, deadline: float | None, sort: Sort) -> _Ranked:
        """Every agent of the account read, judged, priced and ranked, with what their context needs."""
        me = await self._up.me(deadline)
        mine = next((a for a in me.accounts if a.name == base.account), MeAccount(name=base.account))
        fleet = await self._account(mine, deadline)
        bound = self._up.fan_out
        uncounted: list[str] = []  # agents whose errors the route does not count
        summaries: dict[str, tuple[MetricsSummary, str | None]] = {}  # priced once the account's costs are in
        read = 0

        async def one(agent: FleetAgent) -> AgentRow:
            nonlocal read
            row = await judged(agent)
            read += 1
            await progress.step(
                f"{read} of {len(fleet.agents)} agents read ({agent.name}: {row.status})", read, len(fleet.agents)
            )
            return row

        async def judged(agent: FleetAgent) -> AgentRow:
            if not agent.deployed:
                return not_deployed_row(agent.name)
            try:
                query = dataclasses.replace(base, agent=checked_agent(base.account, agent.name), notes=())
                with _by(deadline):
                    summary = await self._metrics.with_window_before(query, bound, deadline)
            except AstroError as err:
                return failed_row(agent.name, brief(err))
            if not summary.errors_available:
                uncounted.append(agent.name)
            summaries[agent.name] = (summary, agent.status)
            return row_of(agent.name, summary, agent.status)

        await progress.step(
            f"reading the metrics of {len(fleet.agents)} agents, {self._up.fan_out.total_tokens:g} at a time"
        )
        ledgers: list[Ledger] = []

        async def fetch_ledger() -> None:
            ledgers.append(await self._metrics.costs.ledger(base, deadline))

        async with anyio.create_task_group() as tg:
            tg.start_soon(fetch_ledger)
            rows = await _gather([one(agent) for agent in fleet.agents])
        ledger = ledgers[0]
        with_cost = {name: (costed(s, ledger), status) for name, (s, status) in summaries.items()}
        rows = [row_of(r.name, *with_cost[r.name]) if r.name in with_cost else r for r in rows]
        notes = [*base.notes, *([PER_DEPLOYMENT_NOTE] if uncounted else []), self._up.routes.generation()]
        result = overview(OverviewWindow(start=base.start, end=base.end), base.account, rows, notes)
        result = in_order(priced(result, ledger, [s for s, _ in with_cost.values()]), sort)
        onsets = {name: lead for name, (s, _) in summaries.items() if (lead := leading(s)) is not None}
        periods = {name: s.analysis_minutes for name, (s, _) in summaries.items()}
        return _Ranked(result, onsets, periods, anyio.current_time() + self._up.ttl(base))

    async def _explained(
        self,
        o: AccountOverview,
        onsets: Mapping[str, Incident],
        periods: Mapping[str, int],
        offset: int,
        deadline: float | None,
    ) -> AccountOverview:
        """`o` with the context of the rows `needing_context` picks (their incident in `onsets`, dated to `periods`
        minutes): each agent's four sources at once, every request under the fan-out bound, by the context's share of
        the call's budget. What could not be read is said once for the whole overview, in its notes."""
        chosen = needing_context(o, offset, onsets)
        if not chosen:
            return o
        until, seconds = nearby.share_of(self._up.settings, deadline)
        await progress.step(f"reading what happened around the onsets of {', '.join(chosen)}")
        gathered = {name: nearby.Gathered() for name in chosen}
        async with anyio.create_task_group() as tg:
            for name in chosen:
                agent = AgentRef(o.account, name)
                tg.start_soon(nearby.gather, self._up.around, agent, gathered[name], until, self._up.fan_out)
        for found in gathered.values():
            found.late(nearby.AROUND, seconds)
        contexts = {
            name: context_of(
                onsets[name], o.window.end, found.as_known(), CONTEXT_ITEMS, brief=True, period=periods[name]
            )
            for name, found in gathered.items()
        }
        notes = fleet_notes({name: found.reasons for name, found in gathered.items()}, nearby.AROUND)
        return with_context(o, contexts, [*nearby.server_said_again(o.notes, self._up.routes.generation()), *notes])


@contextmanager
def _by(deadline: float | None) -> Iterator[None]:
    """Give up what the block waits for (a place under the fan-out bound, a request) at `deadline`."""
    if deadline is None:
        yield
        return
    with anyio.move_on_after(max(0.0, deadline - anyio.current_time())) as scope:
        yield
    if scope.cancelled_caught:
        raise RequestTimeoutError("no answer within the call's budget (ASTRO_MCP_CALL_BUDGET)")


async def _gather(calls: Sequence[Awaitable[T]]) -> list[T]:
    """Await every call concurrently; the results in the calls' order."""
    results: list[T | None] = [None] * len(calls)

    async def run(i: int, call: Awaitable[T]) -> None:
        results[i] = await call

    async with anyio.create_task_group() as tg:
        for i, call in enumerate(calls):
            tg.start_soon(run, i, call)
    return [r for r in results if r is not None]
