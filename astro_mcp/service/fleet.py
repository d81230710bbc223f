"""The fleet: the user's accounts and their agents, and all of an account's agents at once."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Sequence
from typing import TypeVar

import anyio

from astro_mcp.advice import brief
from astro_mcp.analysis.compare import on_bucket_grid, split_previous, with_previous
from astro_mcp.analysis.fleet import Fleet, FleetAccount, FleetAgent, merge_agents
from astro_mcp.analysis.overview import (
    AccountOverview,
    AgentRow,
    OverviewWindow,
    failed_row,
    not_deployed_row,
    overview,
    row_of,
)
from astro_mcp.analysis.results import MetricsSummary
from astro_mcp.api.wire import MeAccount
from astro_mcp.domain import AgentRef, MetricsQuery
from astro_mcp.errors import AstroError
from astro_mcp.service.core import Core, sent_interval

T = TypeVar("T")


class FleetCases(Core):
    """`list_agents` and the account overview."""

    async def list_agents(self, account: str | None) -> Fleet:
        """The user's accounts (or one), each with its agents and their deployment status; raises `AstroError`."""
        me = await self.me()
        chosen = [a for a in me.accounts if account is None or a.name == account]
        if account is not None and not chosen:
            chosen = [MeAccount(name=account)]

        async def one(a: MeAccount) -> FleetAccount:
            try:
                async with self.limiter:
                    return await self._account(a)
            except AstroError as err:
                agents = merge_agents([g.name for g in a.agents], [])
                return FleetAccount(name=a.name, type=a.type, role=a.role, agents=agents, error=brief(err))

        return Fleet(accounts=await _gather([one(a) for a in chosen]))

    async def _account(self, a: MeAccount) -> FleetAccount:
        deployed = [
            FleetAgent(
                name=d.name or d.display_name or "",
                deployed=True,
                status=d.status,
                deployment_id=d.id,
                created_at=d.created_at,
            )
            for d in await self.deployments(a.name)
        ]
        agents = merge_agents([g.name for g in a.agents], [d for d in deployed if d.name])
        return FleetAccount(name=a.name, type=a.type, role=a.role, agents=agents)

    async def overview(self, account: str, start: str | float | None, end: str | float | None) -> AccountOverview:
        """Every agent of `account` over one window, fetched concurrently (bounded), worst first; raises `AstroError`.

        One agent's failure is its row; only a failure to list the account's agents fails the whole call.
        """
        # One clock reading for every agent. Starting on a bucket boundary, each agent's window and the one
        # before it come in one request, exactly: half the requests under the same bound.
        base = on_bucket_grid(self.resolve(account, account, start, end, None))
        me = await self.me()
        mine = next((a for a in me.accounts if a.name == base.account), MeAccount(name=base.account))
        fleet = await self._account(mine)

        async def one(agent: FleetAgent) -> AgentRow:
            if not agent.deployed:
                return not_deployed_row(agent.name)
            try:
                query = dataclasses.replace(base, agent=AgentRef.checked(base.account, agent.name), notes=())
                summary = await self._row_summary(query)
            except AstroError as err:
                return failed_row(agent.name, brief(err))
            return row_of(agent.name, summary, agent.status)

        with self.fanned_out():
            rows = await _gather([one(agent) for agent in fleet.agents])
        notes = list(base.notes)
        if base.account in self.by_deployment:
            notes.append(
                "This Astro server serves metrics per deployment only: hour/day buckets, and no error counts "
                "(error rates are not available, not zero)."
            )
        return overview(OverviewWindow(start=base.start, end=base.end), base.account, rows, notes)

    async def _row_summary(self, query: MetricsQuery) -> MetricsSummary:
        """One agent's summary and its comparison with the window before, kept like any summary."""
        return await self.summaries.get((query, "adjacent", False), self._ttl(query), lambda: self._adjacent(query))

    async def _adjacent(self, query: MetricsQuery) -> MetricsSummary:
        """The window and the one just before it from one request, where that is exact; else asked apart."""
        both = await self.metrics(with_previous(query))
        sent = sent_interval(query, both)
        split = split_previous(query, both.buckets, sent)
        if split is None:
            return await self.summary(query, with_p95=False)
        buckets, before = split
        return self.summarized(query, buckets, sent, before)


async def _gather(calls: Sequence[Awaitable[T]]) -> list[T]:
    """Await every call concurrently; the results in the calls' order."""
    results: list[T | None] = [None] * len(calls)

    async def run(i: int, call: Awaitable[T]) -> None:
        results[i] = await call

    async with anyio.create_task_group() as tg:
        for i, call in enumerate(calls):
            tg.start_soon(run, i, call)
    return [r for r in results if r is not None]
