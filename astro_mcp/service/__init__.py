"""The use cases, composed: one `Upstream` (client, caches, fan-out bound, route strategy) and, beside it, one
small object per tool family. Nothing here renders text: a use case returns a result for `render` to write.

    service.read         Arguments: what a model sends, read into checked queries (one clock reading each)
    service.metrics      MetricsCases: one agent's summary, the raw buckets, an overview row
    service.fleet        FleetCases: the accounts and their agents, the account overview
    service.traces       TraceCases: a page of one agent's traces
    service.completions  Completions: account and agent names while a user types
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx2

from astro_mcp.advice import Situation, explain
from astro_mcp.config import Settings
from astro_mcp.errors import AstroError
from astro_mcp.redaction import redact
from astro_mcp.service.arguments import Arguments, Clock
from astro_mcp.service.completions import Completions
from astro_mcp.service.fleet import FleetCases
from astro_mcp.service.metrics import MetricsCases
from astro_mcp.service.traces import TraceCases
from astro_mcp.service.upstream import Upstream


class Service:
    """What the server does, for its whole lifetime."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        *,
        transport: httpx2.AsyncBaseTransport | None = None,
        known_agents: Mapping[str, set[str]] | None = None,
    ) -> None:
        self.settings = settings
        self.upstream = Upstream(settings, transport=transport, known_agents=known_agents)
        self.read = Arguments(settings, clock)
        self.metrics = MetricsCases(self.upstream)
        self.fleet = FleetCases(self.upstream, self.metrics)
        self.traces = TraceCases(self.upstream, settings.trace_content)
        self.completions = Completions(self.upstream)

    async def aclose(self) -> None:
        await self.upstream.aclose()

    def explain(self, err: AstroError, account: str) -> str:
        """What failed and what to do next, for the model."""
        t = self.upstream.tokens
        situation = Situation(t.source, t.accounts(), self.settings.api_url, t.how_to_fix())
        return redact(explain(err, account, situation))


__all__ = ["Clock", "Service"]
