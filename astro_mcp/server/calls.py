"""What every tool and resource call runs in: the service from its context, its failures turned into advice.

`astro_errors` is the one place where an `AstroError` becomes an error whose message says what failed
and what to do next (a `ToolError` for tools, a `ResourceError` for resources).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError

from astro_mcp import progress
from astro_mcp.errors import AstroError, MissingTokenError, NotFoundError
from astro_mcp.server.logs import forwarded
from astro_mcp.server.signin import signing_in
from astro_mcp.server.state import AppState, state_of

if TYPE_CHECKING:
    from astro_mcp.service import Service


def tool_error(advice: str, _: AstroError) -> Exception:
    return ToolError(advice)


@contextmanager
def astro_errors(
    service: Service, account: str, error: Callable[[str, AstroError], Exception] = tool_error
) -> Iterator[None]:
    """Turn an `AstroError` into `error(advice, err)` (a `ToolError` by default): advice the model can act on."""
    try:
        yield
    except AstroError as err:
        raise error(service.explain(err, account), err) from err


@asynccontextmanager
async def answering(
    ctx: Context[AppState, Any], account: str | None, name: str | None = None
) -> AsyncIterator[Service]:
    """What every tool runs in: its failures become advice, what it logged reaches the client's operator, and
    what it is doing reaches the client as progress when the client asked for it.

    A call with no usable login starts the sign-in from here and answers with what the user must do; a
    name Astro does not know is answered with the user's real names (`name`: the agent the call is about).
    """
    state = state_of(ctx)
    async with forwarded(ctx, state.log_levels):
        with astro_errors(state.service, account or ""), progress.reporting(ctx.report_progress):
            try:
                yield state.service
            except MissingTokenError as err:
                instead = await signing_in(ctx, state.service.signin, err)
                if instead is None:
                    raise
                raise ToolError(instead) from err
            except NotFoundError as err:
                said = await state.service.explain_not_found(err, account, name) if account else None
                if said is None:
                    raise
                raise ToolError(said) from err
