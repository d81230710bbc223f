"""The prompt: an investigation of one agent, in the steps the tools support. It reads the service from its
context, as the tools do."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from mcp import MCPError
from mcp.server import MCPServer
from mcp.server.mcpserver import Context, Message, UserMessage
from mcp.server.mcpserver.prompts.base import Prompt
from mcp.types import INVALID_PARAMS
from pydantic import Field

from astro_mcp.errors import QueryError
from astro_mcp.server.state import AppState, service_of

if TYPE_CHECKING:
    from astro_mcp.domain import AgentRef
    from astro_mcp.service import Service


class CheckedPrompt(Prompt):
    """A prompt whose refusals reach the client as INVALID_PARAMS with their message.

    The SDK reports a missing argument, or anything a prompt raises but `MCPError`, as a bare
    "Internal server error"; a model cannot correct a call from that.
    """

    async def render(self, arguments: dict[str, Any] | None, context: Context[Any, Any]) -> Any:
        missing = [a.name for a in self.arguments or [] if a.required and not (arguments or {}).get(a.name)]
        if missing:
            raise MCPError(INVALID_PARAMS, f"{self.name} needs {', '.join(missing)}: {_EXAMPLE}.")
        return await super().render(arguments, context)


_EXAMPLE = "for example account='astro-team', name='support-bot', window='24h'"


def investigate_agent(
    ctx: Context[AppState, Any],
    account: Annotated[str, Field(description="Account slug, e.g. 'astro-team'")],
    name: Annotated[str, Field(description="Agent name, e.g. 'support-bot'")],
    window: Annotated[
        str, Field(description="How far back to look: any duration the tools accept, e.g. 6h, 48h, 3d, 1w")
    ] = "24h",
) -> list[Message]:
    """Check an agent's health over a window, find what changed and what failed, and say what to do."""
    agent, span = _checked(service_of(ctx), account, name, window)
    amount, unit = span
    call = f"account='{agent.account}', name='{agent.name}'"
    return [
        UserMessage(
            f"Investigate how the Astro AI agent {agent} has been doing over the last {amount}{unit}.\n"
            f"1. Call get_agent_metrics with {call}, start_time='now-{amount}{unit}'. Note its status and "
            "headline, the 'now' line, its p95 (for the whole window), each incident (spike or regression, "
            "ongoing or over) and the comparison with the window before.\n"
            "2. For each incident, call get_agent_traces with the arguments it carries (its traces_call: its "
            "window, status='error'). Quote its groups: which operation failed, how many of the errors, when; "
            "and quote two or three example traces.\n"
            "3. If you need when it began and ended, call get_agent_metrics again with start_time and end_time "
            "just around it and a smaller interval.\n"
            "4. To tell a regression from the agent's weekly rhythm, call get_agent_metrics again with "
            "compare='week'.\n"
            "5. Report: overall health (traffic, error rate, latency, tokens per trace), what changed and when, "
            "what failed and in which operation, how severe it is, and what to check next. Quote the tools' "
            "figures; do not recompute them."
        )
    ]


def _checked(service: Service, account: str, name: str, window: str) -> tuple[AgentRef, tuple[int, str]]:
    """The agent and the window as (amount, unit), checked as the tools check them.

    Raises:
        MCPError: INVALID_PARAMS, with the tools' own explanation.
    """
    try:
        query = service.read.metrics(account, name, window, None, None)  # a window is a start_time before now
    except QueryError as err:
        raise MCPError(INVALID_PARAMS, f"investigate_agent: {err}") from None
    minutes = int((query.end - query.start).total_seconds() // 60)
    if minutes % 1440 == 0 and minutes >= 2880:
        return query.agent, (minutes // 1440, "d")
    return query.agent, ((minutes // 60, "h") if minutes % 60 == 0 else (minutes, "m"))


def register(mcp: MCPServer[AppState]) -> None:
    mcp.add_prompt(CheckedPrompt.from_function(investigate_agent, title="Investigate an agent's health"))
