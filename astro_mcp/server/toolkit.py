"""How a tool is made: a module-level function, read-only, whose result goes through the one answer contract.

A tool function checks its arguments and calls one use case; the `Rendering` it is registered with turns
the use case's result into the text, the structured content and the bound (`render.answer.fitted`), and
gives the tool its output schema.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from functools import cache, cached_property
from typing import Any, cast

from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field, ValidationError

from astro_mcp.render.answer import Rendering, fitted
from astro_mcp.server.args import examples_of, explain_invalid
from astro_mcp.server.schema import compact_output, portable_input


class CheckedTool(Tool):
    """A tool whose refusals speak our language, not pydantic's, and whose result is answered by its rendering."""

    rendering: Rendering[Any, Any] | None = Field(default=None, exclude=True)
    schema_depth: int | None = Field(default=None, exclude=True)

    @cached_property
    def output_schema(self) -> dict[str, Any] | None:
        """The output model's schema, made when the tools are first listed (a copy: each server may change its own)."""
        if self.rendering is None:
            return None
        return copy.deepcopy(_output_schema(self.rendering, self.schema_depth))

    def for_a_server(self) -> CheckedTool:
        """A copy with parameters and an output schema of its own: a server may change its own."""
        made = self.model_copy(update={"parameters": copy.deepcopy(self.parameters)})
        made.__dict__.pop("output_schema", None)  # made anew when listed, not the one this tool may have made
        return made

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        try:
            self.fn_metadata.validate_arguments(arguments)
        except ValidationError as err:
            fields = self.fn_metadata.arg_model.model_fields
            examples = examples_of({name: field.metadata for name, field in fields.items()})
            raise ToolError(explain_invalid(err, self.parameters, examples)) from err
        result = await super().run(arguments, context)
        assert self.rendering is not None, "every tool is made by `tool`, with its rendering"
        answer = fitted(self.rendering, result)
        return CallToolResult(
            content=[TextContent(type="text", text=answer.text)], structured_content=answer.structured
        )


@cache
def _output_schema(rendering: Rendering[Any, Any], depth: int | None) -> dict[str, Any]:
    """The compact schema of a rendering's model, made once per process: pydantic takes tens of ms for four, and
    a process may make a server per session."""
    return compact_output(rendering.model.model_json_schema(), depth)


def tool(
    fn: Callable[..., Any],
    title: str,
    rendering: Rendering[Any, Any],
    meta: dict[str, Any] | None = None,
    schema_depth: int | None = None,
) -> CheckedTool:
    """A read-only tool whose answer `rendering` makes, with a compact output schema (`schema_depth` levels deep)."""
    made = cast(
        CheckedTool,
        CheckedTool.from_function(  # a classmethod of Tool: it makes a CheckedTool
            fn,
            title=title,
            meta=meta,
            description=inspect.cleandoc(fn.__doc__ or ""),  # Python < 3.13 keeps the indentation
            # The title is the tool's own; destructiveHint means nothing beside readOnlyHint=true.
            annotations=ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=True),
            structured_output=False,  # the schema is made on first listing, from the rendering's model
        ),
    )
    made.rendering = rendering
    made.schema_depth = schema_depth
    made.parameters = portable_input(made.parameters)
    return made
