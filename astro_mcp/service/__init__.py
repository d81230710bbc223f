"""The use cases, composed: one `Upstream` (client, caches, fan-out bound, route strategy) and, beside it, one
small object per tool family. Nothing here renders text: a use case returns a result for `render` to write.

    service.read         Arguments: what a model sends, read into checked queries (one clock reading each)
    service.metrics      MetricsCases: one agent's summary, the raw buckets, an overview row
    service.context      ContextCases: get_agent_metrics, each incident with what the platform knew around it
    service.nearby       what the platform knew around one agent, read by a deadline (metrics and overview)
    service.fleet        FleetCases: the accounts and their agents, the account overview (its worst rows' context)
    service.traces       TraceCases: a page of one agent's traces
    service.completions  Completions: account and agent names while a user types
    service.signin       SignIn: the device flow a call without a usable login starts, finished in the background
"""

from __future__ import annotations

from collections.abc import Mapping

import anyio.abc
import httpx2

from astro_mcp.advice import Situation, explain, unknown
from astro_mcp.config import Settings
from astro_mcp.errors import AstroError, NotFoundError
from astro_mcp.redaction import redact
from astro_mcp.service.arguments import Arguments, Clock
from astro_mcp.service.completions import Completions
from astro_mcp.service.context import ContextCases
from astro_mcp.service.failing import FailingSteps
from astro_mcp.service.fleet import FleetCases
from astro_mcp.service.metrics import MetricsCases
from astro_mcp.service.signin import SignIn
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
        hosts: list[anyio.abc.TaskGroup] | None = None,
    ) -> None:
        """`hosts`: the task groups that carry work a call started and no longer waits for (a sign-in, the read of
        an incident's failing step), entered by the server's lifespan."""
        hosts = [] if hosts is None else hosts
        self.settings = settings
        self.upstream = Upstream(settings, transport=transport, known_agents=known_agents)
        self.read = Arguments(settings, clock)
        self.metrics = MetricsCases(self.upstream)
        failing = FailingSteps(self.upstream, hosts)
        self.context = ContextCases(self.upstream, self.metrics, failing)
        self.fleet = FleetCases(self.upstream, self.metrics)
        self.traces = TraceCases(self.upstream, settings.trace_content, failing)
        self.completions = Completions(self.upstream)
        self.signin = SignIn(settings, self.upstream.tokens, hosts)

    async def aclose(self) -> None:
        await self.upstream.aclose()

    def explain(self, err: AstroError, account: str) -> str:
        """What failed and what to do next, for the model."""
        t = self.upstream.tokens
        situation = Situation(t.source, t.accounts(), self.settings.api_url, t.how_to_fix())
        return redact(explain(err, account, situation))

    async def explain_not_found(self, err: NotFoundError, account: str, name: str | None) -> str | None:
        """A 404 said with the user's real names ("did you mean", "registered but not deployed"); None when
        they do not explain it. Waits on the API no longer than a completion does."""
        found = await self.completions.near(account, name)
        return None if found is None else redact(unknown(err, found))


__all__ = ["Clock", "Service"]
