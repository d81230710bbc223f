"""What every tool and resource call runs in: the service from its context, its failures turned into advice.

`astro_errors` is the one place where an `AstroError` becomes an error whose message says what failed
and what to do next (a `ToolError` for tools, a `ResourceError` for resources).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError

from astro_mcp import progress
from astro_mcp.errors import AstroError, MissingTokenError, NotFoundError, RequestTimeoutError
from astro_mcp.server.logs import forwarded
from astro_mcp.server.signin import signing_in
from astro_mcp.server.state import AppState, state_of

if TYPE_CHECKING:
    from astro_mcp.service import Service

_GRACE = 1.0  # seconds past its deadline a call may take to answer with what it has


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
) -> AsyncIterator[tuple[Service, float]]:
    """What every tool runs in: its one deadline (`ASTRO_MCP_CALL_BUDGET` from now, on `anyio`'s clock), passed
    down to everything the call waits on; its failures become advice; what it logged reaches the client's
    operator, and what it is doing reaches the client as progress when the client asked for it. A call still
    running `_GRACE` after its deadline is stopped and says so.

    A call with no usable login starts the sign-in from here and answers with what the user must do; a
    name Astro does not know is answered with the user's real names (`name`: the agent the call is about).
    """
    state = state_of(ctx)
    budget = state.service.settings.call_budget
    deadline = anyio.current_time() + budget
    async with forwarded(ctx, state.log_levels):
        with astro_errors(state.service, account or ""), progress.reporting(ctx.report_progress):
            try:
                with anyio.CancelScope(deadline=deadline + _GRACE) as scope:
                    yield state.service, deadline
                if scope.cancelled_caught:
                    raise RequestTimeoutError(f"the call did not finish within its {budget:g} s budget")
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
