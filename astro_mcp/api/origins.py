"""Where the token comes from: the token pair held and its origin, what `whoami` shows of it, and the one step
that fixes each kind of login."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

from pydantic import SecretStr

from astro_mcp.api.auth import claims_expiry
from astro_mcp.errors import MissingTokenError


class Origin(Enum):
    ENV_ACCESS = "ASTRO_ACCESS_TOKEN"
    ENV_REFRESH = "ASTRO_REFRESH_TOKEN"
    KEYRING = "the saved login (system keyring)"
    FILE = "the saved login"
    NONE = "no login"


@dataclass(frozen=True)
class Status:
    """What `whoami` shows: never a token."""

    source: str
    signed_in: bool
    expires_at: datetime | None
    refreshable: bool
    user: dict[str, object] | None
    accounts: list[str]
    problem: str | None


def step_for(origin: Origin) -> str:
    """The one step that gives a usable token again, for a token from `origin` (starting in lower case)."""
    if origin is Origin.ENV_ACCESS:
        return (
            'remove ASTRO_ACCESS_TOKEN from this server\'s environment (in Claude Desktop, the "env" block of '
            "its entry in claude_desktop_config.json, then restart Claude) and run `uvx astro-ai-mcp login` once."
        )
    if origin is Origin.ENV_REFRESH:
        return (
            "refresh tokens rotate on every use, so one set in the environment is spent after a restart. "
            "Set a fresh ASTRO_REFRESH_TOKEN, or remove it and run `uvx astro-ai-mcp login` once."
        )
    return "run `uvx astro-ai-mcp login` (or `ast login`) in a terminal; the next call picks it up, no restart needed."


def remedy(problem: str) -> str:
    if "keyring" in problem:
        return "unlock the system keyring (or allow astro-mcp to use it)"
    return "make the folder of the saved login writable, or free some disk space"


@dataclass(frozen=True)
class Held:
    """A token pair as held in memory, and where it came from."""

    origin: Origin
    access: SecretStr | None = None
    refresh: SecretStr | None = None
    expires_at: datetime | None = None
    organization_id: str | None = None


def held_for(
    where: str,
    origin: Origin,
    access: SecretStr | None,
    refresh: SecretStr | None,
    expires_at: datetime | None = None,
    organization_id: str | None = None,
) -> Held:
    """A token pair from `origin` (said as `where`), refused at once if it could not be sent."""
    for token in (access, refresh):
        if token is not None and not token.get_secret_value().isprintable():
            raise MissingTokenError(
                f"The token in {where} contains control characters, so it cannot be sent: " + step_for(origin)
            )
    if expires_at is None and access is not None:
        expires_at = claims_expiry(access)[1]
    elif expires_at is not None and expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    return Held(origin, access, refresh, expires_at, organization_id)
