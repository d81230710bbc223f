"""The token to send to the Astro API, kept valid: read where `ast` keeps it, refreshed before it expires.

Sources, first match wins: `ASTRO_ACCESS_TOKEN` (with `ASTRO_REFRESH_TOKEN` when both are set),
`ASTRO_REFRESH_TOKEN` alone (refreshed in memory), else the saved login (`store`: system keyring,
else `~/.ast/credentials.json`). A saved login is re-read when the file changes, so a new
`astro-mcp login` or `ast login` is picked up without a restart.

Refreshes are single-flight: an `anyio.Lock` makes concurrent callers wait for the one refresh in
progress, and a file lock keeps `ast` and astro-mcp from spending the same refresh token. Every
failure names where the token came from and the one step that fixes it; none shows a token.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Literal

import anyio
from pydantic import SecretStr

from astro_mcp.api.auth import AuthRejectedError, Grant, WorkOS, claims_expiry
from astro_mcp.api.store import Login, Store, system_keyring
from astro_mcp.config import Settings
from astro_mcp.errors import HOW_TO_LOG_IN, MissingTokenError

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

logger = logging.getLogger(__name__)

_MARGIN = timedelta(minutes=5)


class Origin(Enum):
    ENV_ACCESS = "ASTRO_ACCESS_TOKEN"
    ENV_REFRESH = "ASTRO_REFRESH_TOKEN"
    KEYRING = "the saved login (system keyring)"
    FILE = "the saved login"
    NONE = "no login"


@dataclass(frozen=True)
class _Held:
    origin: Origin
    access: SecretStr | None = None
    refresh: SecretStr | None = None
    expires_at: datetime | None = None
    organization_id: str | None = None


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


class TokenSource:
    """Finds the token, keeps it fresh, and knows the user's accounts. One per server lifetime."""

    def __init__(
        self,
        settings: Settings,
        *,
        keyring: KeyringBackend | Literal["system"] | None = "system",
        workos: WorkOS | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._settings = settings
        self._keyring = keyring
        self._store: Store | None = None
        self.workos = workos or WorkOS(settings.auth_url, settings.client_id, timeout=settings.read_timeout)
        self._clock = clock  # wall time: token expiry is absolute, unlike the data clock of tests
        self._lock = anyio.Lock()
        self._held: _Held | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._login = Login()
        self._refused: str | None = None  # digest of a refresh token WorkOS rejected: never sent again
        self.refreshes = 0

    @property
    def path(self) -> str:
        return str(self._settings.credentials_file)

    @property
    def source(self) -> str:
        """Where the token comes from, in words (for advice and `whoami`)."""
        return self._where(self._held.origin if self._held else Origin.NONE)

    def _where(self, origin: Origin) -> str:
        return f"the saved login ({self.path})" if origin is Origin.FILE else origin.value

    def accounts(self) -> list[str]:
        """Account slugs of the saved login, the current one first; empty when unknown."""
        profile = self._login.profile
        names = [a.name for a in profile.accounts if a.name]
        if profile.current_account in names:
            names.remove(profile.current_account)
            names.insert(0, profile.current_account)
        return names

    async def aclose(self) -> None:
        await self.workos.aclose()

    async def token(self) -> SecretStr:
        """A token that is valid for a while yet, refreshed first when it is about to expire.

        Raises:
            MissingTokenError: there is none, or it expired and cannot be refreshed (the message says what to do).
            TransportError: the sign-in service could not be reached to refresh it.
        """
        async with self._lock:
            await self._sync()
            held = self._usable()
            if held.access is not None and not self._due(held):
                return held.access
            return await self._refresh(held)

    async def rejected(self, used: SecretStr) -> SecretStr | None:
        """The API answered 401 to `used`: a token to retry with once, or None when there is nothing better."""
        async with self._lock:
            await self._sync(force=True)
            held = self._usable()
            if held.access is not None and not _same(held.access, used):
                return held.access  # another caller already refreshed, or a new login landed
            if held.refresh is None:
                return None
            return await self._refresh(held)

    async def status(self) -> Status:
        """Where the token comes from and until when it is valid, re-read from storage."""
        async with self._lock:
            await self._sync(force=True)
        held = self._held or _Held(Origin.NONE)
        return Status(
            source=self.source,
            signed_in=held.origin is not Origin.NONE,
            expires_at=held.expires_at,
            refreshable=held.refresh is not None,
            user=self._login.profile.user,
            accounts=self.accounts(),
            problem=self._login.problem,
        )

    def rejection_advice(self) -> str:
        """What to do when the API refuses a token even after a refresh."""
        return self._fix("was rejected by the Astro API")

    async def _sync(self, *, force: bool = False) -> None:
        """Re-read the saved login when the file changed (or when asked); the environment wins over it."""
        store = await self.store()
        stamp = store.stamp()
        if self._held is not None and stamp == self._stamp and not force:
            return
        login = await anyio.to_thread.run_sync(store.load)
        self._stamp, self._login = stamp, login
        s = self._settings
        if s.access_token is not None or s.refresh_token is not None:
            if self._held is None:
                origin = Origin.ENV_ACCESS if s.access_token is not None else Origin.ENV_REFRESH
                self._held = self._held_for(origin, s.access_token, s.refresh_token)
            return
        origin = Origin.KEYRING if login.in_keyring else Origin.FILE
        p = login.profile
        if p.access_token is None and p.refresh_token is None:
            origin = Origin.NONE
        self._held = self._held_for(origin, p.access_token, p.refresh_token, p.expires_at, login.organization_id)

    def _held_for(
        self,
        origin: Origin,
        access: SecretStr | None,
        refresh: SecretStr | None,
        expires_at: datetime | None = None,
        organization_id: str | None = None,
    ) -> _Held:
        for token in (access, refresh):
            if token is not None and not token.get_secret_value().isprintable():
                raise MissingTokenError(
                    f"The token in {self._where(origin)} contains control characters, so it cannot be sent: "
                    + self._how(origin)
                )
        if expires_at is None and access is not None:
            expires_at = claims_expiry(access)[1]
        elif expires_at is not None and expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
        return _Held(origin, access, refresh, expires_at, organization_id)

    def _usable(self) -> _Held:
        held = self._held
        if held is None or held.origin is Origin.NONE:
            problem = f" ({self._login.problem})" if self._login.problem else ""
            raise MissingTokenError(f"No Astro access token is configured{problem}. {HOW_TO_LOG_IN}")
        return held

    def _due(self, held: _Held) -> bool:
        """Time to refresh: within 5 minutes of expiry, or a quarter of the lifetime for short-lived tokens."""
        if held.expires_at is None:
            return False
        margin = _MARGIN
        issued = claims_expiry(held.access)[0] if held.access is not None else None
        if issued is not None:
            margin = min(margin, (held.expires_at - issued) / 4)
        return self._clock() >= held.expires_at - margin

    async def _refresh(self, held: _Held) -> SecretStr:
        if held.refresh is None:
            raise MissingTokenError(self._fix("has expired", held.origin))
        if held.origin in (Origin.ENV_ACCESS, Origin.ENV_REFRESH):
            grant = await self._exchange(held)
            expires_at = grant.expires_at(self._clock())
        else:
            store = await self.store()
            async with store.locked():
                # `ast` may have refreshed since we read the file: its tokens are the newest, ours may be spent.
                self._login = await anyio.to_thread.run_sync(store.load)
                self._stamp = store.stamp()
                p = self._login.profile
                stored = self._held_for(held.origin, p.access_token, p.refresh_token, p.expires_at)
                if stored.access is not None and not _same(stored.access, held.access) and not self._due(stored):
                    self._held = replace(stored, organization_id=held.organization_id)
                    return stored.access
                grant = await self._exchange(stored if stored.refresh is not None else held)
                expires_at = grant.expires_at(self._clock())
                in_keyring = self._login.in_keyring
                await anyio.to_thread.run_sync(
                    lambda: store.save(grant.access_token, grant.refresh_token, expires_at, in_keyring=in_keyring)
                )
                self._stamp = store.stamp()
        self._held = _Held(held.origin, grant.access_token, grant.refresh_token, expires_at, held.organization_id)
        return grant.access_token

    async def _exchange(self, held: _Held) -> Grant:
        assert held.refresh is not None
        digest = hashlib.sha256(held.refresh.get_secret_value().encode()).hexdigest()
        if digest == self._refused:
            raise MissingTokenError(self._fix("was revoked or has expired", held.origin))
        self.refreshes += 1
        try:
            grant = await self.workos.refresh(held.refresh, held.organization_id)
        except AuthRejectedError as err:
            self._refused = digest
            logger.warning("the sign-in service refused to refresh the token (%s)", err.code)
            raise MissingTokenError(self._fix("was revoked or has expired", held.origin)) from None
        logger.info("refreshed the Astro access token from %s", held.origin.name.lower())
        return grant

    def _fix(self, state: str, origin: Origin | None = None) -> str:
        origin = origin or (self._held.origin if self._held else Origin.NONE)
        where = self._where(origin)
        return f"{where[0].upper()}{where[1:]} {state}: {self._how(origin)}"

    @staticmethod
    def _how(origin: Origin) -> str:
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
        return (
            "run `uvx astro-ai-mcp login` (or `ast login`) in a terminal; the next call picks it up, no restart needed."
        )

    async def store(self) -> Store:
        """The saved login's store; finding the system keyring can block, so it happens off the loop, once."""
        if self._store is None:
            wanted = self._keyring
            backend = (
                await anyio.to_thread.run_sync(system_keyring, self._settings.keyring_backend)
                if wanted == "system"
                else wanted
            )
            self._store = Store(self._settings.credentials_file, backend)
        return self._store


def _same(a: SecretStr, b: SecretStr | None) -> bool:
    return b is not None and a.get_secret_value() == b.get_secret_value()
