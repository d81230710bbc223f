"""Where the protocol and the SDK part ways: a client's mistake is invalid params, and both eras hear one truth.

- An unknown tool, prompt or resource is the client's mistake: JSON-RPC -32602 (invalid params), with a
  message naming what exists, logged at INFO without a traceback. The SDK answers an unknown tool with an
  `isError` result, and an unknown prompt with -32603 (2026-07-28) or code 0 (2025-11-25) and a traceback.
- A tool's arguments that fail their schema stay a tool result with `isError` (the spec's "tool execution
  error"): the model reads it and corrects the call.
- The tools are made when first listed or called, not when the server starts: making them evaluates their
  signatures (which name the result models), builds their argument models and loads their renderings.
  A server that lives long (HTTP) makes them, and whatever else the first call would load, before it
  listens (`load`): there the first call's latency matters, not the start-up's.
- `initialize` (2025-11-25) and `server/discover` (2026-07-28) advertise the same capabilities. The
  2025-11-25 result has no `extensions` field, so the SDK drops the MCP App's; hosts of that era read it
  from there all the same, so it is put back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from mcp import MCPError, UriTemplate
from mcp.server import MCPServer
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.extension import Extension
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceNotFoundError
from mcp.server.mcpserver.tools import Tool, ToolManager
from mcp.types import INVALID_PARAMS, CallToolResult, GetPromptResult, InputRequiredResult
from pydantic import AnyUrl

from astro_mcp.server.state import AppState


def unknown(kind: str, name: str, known: Iterable[str]) -> str:
    """What a client reads when it names something this server does not have."""
    return f"Unknown {kind} {name!r}. This server has: {', '.join(known) or 'none'}."


class ToolsOnFirstUse(ToolManager):
    """The SDK's tool manager, whose tools `make` makes the first time any of them is asked for."""

    def __init__(self, make: Callable[[], Iterable[Tool]]) -> None:
        super().__init__()
        self._make: Callable[[], Iterable[Tool]] | None = make

    @property  # the SDK keeps its tools in this attribute: made here on first use
    def _tools(self) -> dict[str, Tool]:
        if self._make is not None:
            make, self._make = self._make, None
            self._made = {tool.name: tool for tool in make()}
        return self._made

    @_tools.setter
    def _tools(self, tools: dict[str, Tool]) -> None:
        self._made = tools


class AstroMCP(MCPServer[AppState]):
    """The SDK's server, answering a request for something it does not have as invalid params."""

    _loaders: tuple[Callable[[], object], ...] = ()

    def offer_tools(self, make: Callable[[], Iterable[Tool]]) -> None:
        """Offer the tools `make` makes, made when first listed or called."""
        self._tool_manager = ToolsOnFirstUse(make)

    def on_load(self, loader: Callable[[], object]) -> None:
        """Have `load` also call `loader` (which makes something the first call would otherwise make)."""
        self._loaders = (*self._loaders, loader)

    async def load(self) -> None:
        """Make now what the first call would: the tools (their models and output schemas), and the `on_load` parts."""
        await self.list_tools()
        for loader in self._loaders:
            loader()

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[AppState, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        if self._tool_manager.get_tool(name) is None:
            names = [tool.name for tool in self._tool_manager.list_tools()]
            raise MCPError(INVALID_PARAMS, unknown("tool", name, names))
        return await super().call_tool(name, arguments, context)

    async def get_prompt(
        self, name: str, arguments: dict[str, Any] | None = None, context: Context[AppState, Any] | None = None
    ) -> GetPromptResult | InputRequiredResult:
        names = [prompt.name for prompt in await self.list_prompts()]
        if name not in names:
            raise MCPError(INVALID_PARAMS, unknown("prompt", name, names))
        return await super().get_prompt(name, arguments, context)

    async def read_resource(
        self, uri: AnyUrl | str, context: Context[AppState, Any] | None = None
    ) -> Iterable[ReadResourceContents] | InputRequiredResult:
        fixed = [str(resource.uri) for resource in await self.list_resources()]
        templates = [template.uri_template for template in await self.list_resource_templates()]
        if str(uri) not in fixed and not any(UriTemplate.parse(t).match(str(uri)) is not None for t in templates):
            raise ResourceNotFoundError(unknown("resource", str(uri), [*fixed, *templates]))
        return await super().read_resource(uri, context)


class SameCapabilities:
    """Middleware: the `initialize` result carries the extensions `server/discover` advertises."""

    def __init__(self, extensions: Sequence[Extension]) -> None:
        self.extensions = {extension.identifier: extension.settings() for extension in extensions}

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        result = await call_next(ctx)
        if ctx.method != "initialize" or not isinstance(result, dict) or not self.extensions:
            return result
        capabilities = {**result.get("capabilities", {}), "extensions": self.extensions}
        return {**result, "capabilities": capabilities}
