"""What agents cost: the platform's per-deployment cost summary, one request per account and window, kept as
metrics are. Never fails a call: where the platform gives no cost, the ledger says why."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import anyio.abc

from astro_mcp.advice import brief
from astro_mcp.analysis.cost import Ledger, Spent
from astro_mcp.api.cache import SingleFlightCache
from astro_mcp.api.platform_wire import DeploymentsSummary
from astro_mcp.domain import MetricsQuery
from astro_mcp.errors import AstroError
from astro_mcp.service.upstream import Upstream

_CACHE_LEDGERS = 256
NOT_SERVED = "this Astro server gives no cost summary"
Window = tuple[str, datetime, datetime]  # a label, then the bounds


class CostCases:
    """Each agent's cost over a window, from one account-wide request."""

    def __init__(self, upstream: Upstream) -> None:
        self._up = upstream
        self._ledgers: SingleFlightCache[tuple[str, datetime, datetime], Ledger] = SingleFlightCache(
            _CACHE_LEDGERS, lambda _: 1
        )

    async def ledger(self, query: MetricsQuery, deadline: float | None = None) -> Ledger:
        """The cost of every agent of `query`'s account over its window. A failure is a ledger that says why (and
        is not kept: the next call asks again)."""
        key = (query.account, query.start, query.end)

        async def fetch() -> Ledger:
            found = await self._up.costs(query.account, query.start, query.end, deadline)
            return (
                Ledger(missing=NOT_SERVED) if found is None else await self._ledger_of(query.account, found, deadline)
            )

        try:
            return await self._ledgers.get(key, self._up.ttl(query), fetch)
        except AstroError as err:
            return Ledger(missing=f"the platform's cost summary failed: {brief(err)}")

    def start(
        self, tg: anyio.abc.TaskGroup, query: MetricsQuery, earlier: Window | None, deadline: float | None
    ) -> Callable[[], tuple[Ledger, Ledger | None]]:
        """Start fetching the window's ledger and the compared window's in `tg`; once `tg` is done, the returned
        function gives them."""
        found: dict[bool, Ledger] = {}

        async def fetch(window: MetricsQuery, now: bool) -> None:
            found[now] = await self.ledger(window, deadline)

        tg.start_soon(fetch, query, True)
        if earlier is not None:
            _, start, end = earlier
            tg.start_soon(fetch, MetricsQuery(query.agent, start, end, query.interval_minutes), False)
        return lambda: (found.get(True, Ledger(missing="no answer in time")), found.get(False))

    async def _ledger_of(self, account: str, summary: DeploymentsSummary, deadline: float | None) -> Ledger:
        """Costs by agent name, an agent's archived deployments with its active one; a row without a name is
        matched by its deployment id, and one matching nothing counts in the total only."""
        names: dict[str, str] = {}
        if any(not row.name for row in summary.items):
            names = {
                d.id: d.name or d.display_name or "" for d in await self._up.deployments(account, deadline) if d.id
            }
        agents: dict[str, Spent] = {}
        for row in summary.items:
            name = row.name or names.get(row.deployment_id or "", "")
            usd, traces = row.cost_usd or 0.0, row.requests or 0
            if name:
                had = agents.get(name, Spent(0.0, 0))
                agents[name] = Spent(had.usd + usd, had.traces + traces)
        total = sum(row.cost_usd or 0.0 for row in summary.items)
        return Ledger(agents=agents, total_usd=total)
