"""Completions for every templated argument: the prompt's and the resource templates'.

The SDK hands a completion handler no request context (tools, resources and prompts read the service
from theirs), so this one handler is given the server's state when it is registered, and reads the service
from it when a completion is asked for.
"""

from __future__ import annotations

from mcp.server import MCPServer
from mcp.types import Completion, CompletionArgument, CompletionContext, PromptReference, ResourceTemplateReference

from astro_mcp.server.resources import TEMPLATES
from astro_mcp.server.state import AppState

PROMPTS = ("investigate_agent",)
_OPTIONS = {
    "window": ["1h", "6h", "24h", "3d", "7d", "30d"],
    "start_time": ["now-1h", "now-6h", "now-24h", "now-7d", "now-30d"],
    "end_time": ["now", "now-1h", "now-24h"],
    "interval": ["1", "5", "15", "60", "1440"],
}
_SHOWN = 100


def register(mcp: MCPServer[AppState], state: AppState) -> None:
    """One completion handler for the prompt's and the templates' arguments."""

    @mcp.completion()
    async def complete(
        ref: PromptReference | ResourceTemplateReference,
        argument: CompletionArgument,
        context: CompletionContext | None,
    ) -> Completion | None:
        if isinstance(ref, ResourceTemplateReference) and ref.uri not in TEMPLATES:
            return None
        if isinstance(ref, PromptReference) and ref.name not in PROMPTS:
            return None
        chosen = (context.arguments or {}) if context else {}
        match argument.name:
            case "account":
                options = await state.service.completions.accounts()
            case "name":
                options = await state.service.completions.agents(chosen.get("account", ""))
            case other:
                options = _OPTIONS.get(other, [])
        values = [o for o in options if o.startswith(argument.value)]
        return Completion(values=values[:_SHOWN], total=len(values), has_more=len(values) > _SHOWN)
