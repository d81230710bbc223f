"""The prompt, and the completions for every templated argument."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver import Message, UserMessage
from mcp.types import (
    Completion,
    CompletionArgument,
    CompletionContext,
    PromptReference,
    ResourceTemplateReference,
)
from pydantic import Field

from astro_mcp.server.resources import TEMPLATES
from astro_mcp.service import Service

Window = Literal["1h", "6h", "24h", "7d", "30d"]
_PREVIOUS = {"1h": "2h", "6h": "12h", "24h": "48h", "7d": "14d", "30d": "60d"}
_OPTIONS = {
    "window": list(_PREVIOUS),
    "start_time": ["now-1h", "now-6h", "now-24h", "now-7d", "now-30d"],
    "end_time": ["now", "now-1h", "now-24h"],
    "interval": ["1", "5", "15", "60", "1440"],
}


def investigate_agent(
    account: Annotated[str, Field(description="Account slug, e.g. 'astro-team'")],
    name: Annotated[str, Field(description="Agent name, e.g. 'support-bot'")],
    window: Annotated[Window, Field(description="How far back to look: 1h, 6h, 24h, 7d or 30d")] = "24h",
) -> list[Message]:
    """Check an agent's traffic, errors and latency over a window, find what changed, and say what to do."""
    before = _PREVIOUS[window]
    return [
        UserMessage(
            f"Investigate how the Astro AI agent {account}/{name} has been doing over the last {window}.\n"
            f"1. Call get_agent_metrics with account='{account}', name='{name}', start_time='now-{window}'.\n"
            "2. For each anomaly it reports, call it again with start_time and end_time just around the "
            "anomaly and a smaller interval, to find when it began and ended and how bad it got.\n"
            f"3. Call it for the period before (start_time='now-{before}', end_time='now-{window}') to tell "
            "a regression from the agent's usual rhythm.\n"
            "4. Report: overall health (traffic, error rate, latency, tokens per trace), what changed and "
            "when, how severe it is, and what to check next. Quote the tool's figures; do not recompute them."
        )
    ]


def register(mcp: MCPServer[Service], service: Service) -> None:
    """The prompt, and one completion handler for the prompt's and the templates' arguments."""
    mcp.prompt(title="Investigate an agent's health")(investigate_agent)

    @mcp.completion()
    async def complete(
        ref: PromptReference | ResourceTemplateReference,
        argument: CompletionArgument,
        context: CompletionContext | None,
    ) -> Completion | None:
        if isinstance(ref, ResourceTemplateReference) and ref.uri not in TEMPLATES:
            return None
        if isinstance(ref, PromptReference) and ref.name != "investigate_agent":
            return None
        chosen = (context.arguments or {}) if context else {}
        match argument.name:
            case "account":
                options = await service.known_accounts()
            case "name":
                options = await service.known_agents(chosen.get("account", ""))
            case other:
                options = _OPTIONS.get(other, [])
        values = [o for o in options if o.startswith(argument.value)]
        return Completion(values=values[:100], total=len(values), has_more=len(values) > 100)
