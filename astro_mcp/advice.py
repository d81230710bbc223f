"""What a model is told when a call fails: what went wrong, and the one thing to do next."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from astro_mcp.errors import (
    HOW_TO_LOG_IN,
    ApiError,
    AstroError,
    BusyError,
    ConnectionFailedError,
    ForbiddenError,
    InvalidResponseError,
    MissingTokenError,
    NotConfiguredError,
    NotFoundError,
    QueryError,
    RateLimitedError,
    RequestNotSentError,
    RequestTimeoutError,
    SignInServiceError,
    UnauthorizedError,
)


@dataclass(frozen=True)
class Situation:
    """What the advice may mention: where the token came from and how to fix it, the accounts, the API's address."""

    token_source: str
    accounts: Sequence[str]
    api_url: str
    fix: str = HOW_TO_LOG_IN  # the one step that fixes a refused token, for where it came from


def explain(err: AstroError, account: str, situation: Situation) -> str:
    """What failed and what to do next, for the model (and the person behind it)."""
    said = f" (the API said: {err.api_message})" if isinstance(err, ApiError) else ""
    match err:
        case QueryError() | MissingTokenError():
            return str(err)
        case UnauthorizedError():
            return f"The Astro API rejected the access token from {situation.token_source}{said}. {situation.fix}"
        case ForbiddenError():
            mine = situation.accounts
            known = f" Accounts this login belongs to: {', '.join(mine[:10])}." if mine else ""
            return (
                f"No access to account '{account}'{said}: the signed-in Astro user is not a member of it. Check "
                f"the account slug, or ask an admin of '{account}' to add you.{known}"
            )
        case NotFoundError():
            return (
                f"Astro knows no such account or agent{said}. Check the account slug and the agent name (both are "
                "lowercase slugs such as 'astro-team' and 'weather-agent'); the agent must be deployed."
            )
        case NotConfiguredError():
            return (
                f"Observability is not set up for account '{account}'{said}. This usually means the account has "
                "not deployed an agent yet, or its tracing (Langfuse) is not configured. Deploy an agent or set up "
                "observability in Astro first; calling again will not help until then."
            )
        case RateLimitedError():
            wait = f"{err.retry_after:.0f} seconds" if err.retry_after is not None else "a minute"
            return f"The Astro API is rate limiting requests{said}, and retrying did not help. Wait {wait}, then retry."
        case ApiError():
            return (
                f"The Astro API failed with HTTP {err.status_code}{said}, also after retrying. The problem is on "
                "Astro's side: try again in a minute, or with a shorter window."
            )
        case RequestTimeoutError():
            return (
                f"The call gave up: {err}. A long window at a fine interval is the heaviest query; try a shorter "
                "window or a coarser interval, or try again."
            )
        case BusyError():
            return f"The call was not made: {err}. Try again in a minute, with fewer calls at once."
        case RequestNotSentError():
            return f"The call was not made: {err}. Fix it in this MCP server's environment, then restart the server."
        case SignInServiceError():
            return (
                f"Refreshing the sign-in failed: {err}. Check the network, or ASTRO_MCP_AUTH_URL if it was set "
                "(unset, it is WorkOS's sign-in service, as for `ast`)."
            )
        case ConnectionFailedError():
            return f"The call failed: {err}. Check the network, or ASTRO_API_URL ({situation.api_url}) if it was set."
        case InvalidResponseError():
            return f"The answer could not be used: {err}. This is a problem on the API's side; try again later."
    return str(err)


def brief(err: AstroError) -> str:
    """One line on why one agent of several could not be read (an overview row, not a whole answer)."""
    said = err.api_message if isinstance(err, ApiError) else str(err)
    match err:
        case NotFoundError():
            return f"not found (HTTP 404: {said})"
        case ForbiddenError() | UnauthorizedError():
            return f"access refused (HTTP {err.status_code}: {said})"
        case NotConfiguredError():
            return f"observability not set up (HTTP 503: {said})"
        case ApiError():
            return f"the Astro API failed (HTTP {err.status_code}: {said}); retry later"
        case RequestTimeoutError():
            return f"timed out ({said}); retry later"
    return said


@dataclass(frozen=True)
class UnknownName:
    """Why Astro found nothing, read from the user's real names (`/me`, `/deployments`).

    `what`: the account is not one of the login's, the account has no such agent, or the agent is
    registered but not deployed. `known`: the login's accounts, or the account's agents.
    """

    what: Literal["account", "agent", "undeployed"]
    account: str
    name: str
    known: Sequence[str]

    @property
    def nearest(self) -> list[str]:
        given = self.account if self.what == "account" else self.name
        return difflib.get_close_matches(given, self.known, n=3, cutoff=0.7)


def unknown(err: NotFoundError, found: UnknownName) -> str:
    """What a 404 means once the real names are known: the nearest of them, or that the agent is not deployed."""
    said = f" (the API said: {err.api_message})"
    if found.what == "undeployed":
        return (
            f"Agent '{found.name}' is registered in account '{found.account}' but not deployed{said}, so Astro has "
            "no metrics or traces for it. Deploy it first; list_agents shows which agents are deployed."
        )
    quoted = [f"'{n}'" for n in found.nearest]
    guess = " or ".join([", ".join(quoted[:-1]), quoted[-1]] if len(quoted) > 1 else quoted)
    did_you_mean = f" Did you mean {guess}?" if guess else ""
    listed = ", ".join(found.known[:20]) + (f" and {len(found.known) - 20} more" if len(found.known) > 20 else "")
    if found.what == "account":
        known = f" This login's accounts: {listed}." if listed else ""
        return f"Astro knows no account '{found.account}' for this login{said}.{did_you_mean}{known}"
    known = f" Its agents: {listed}." if listed else " It has no agents yet."
    return f"Account '{found.account}' has no agent '{found.name}'{said}.{did_you_mean}{known}"
