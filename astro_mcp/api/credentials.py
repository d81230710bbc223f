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
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

import anyio
from pydantic import SecretStr

from astro_mcp import progress
from astro_mcp.api.auth import AuthRejectedError, Grant, WorkOS, claims_expiry
from astro_mcp.api.keeper import Keeper
from astro_mcp.api.origins import Held, Origin, Status, held_for, remedy, step_for
from astro_mcp.api.store import Login, Store, system_keyring
from astro_mcp.config import Settings
from astro_mcp.errors import HOW_TO_LOG_IN, MissingTokenError, RequestTimeoutError

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

logger = logging.getLogger(__name__)

_MARGIN = timedelta(minutes=5)
_DENIED_FOR = 60.0  # seconds a login the API refused right after a refresh is not refreshed again


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
        self._keeper: Keeper | None = None
        self.workos = workos or WorkOS(settings.auth_url, settings.client_id, timeout=settings.read_timeout)
        self._clock = clock  # wall time: token expiry is absolute, unlike the data clock of tests
        self._lock = anyio.Lock()
        self._held: Held | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._login = Login()
        self._refused: str | None = None  # digest of a refresh token WorkOS rejected: never sent again
        self._stored: str | None = None  # digest of the refresh token last read from storage
        self.unsaved: str | None = None  # why the tokens in use are held in memory only, when they are
        self._denied_until = 0.0  # until when a 401 right after a refresh stops further refreshes

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

    async def token(self, deadline: float | None = None) -> SecretStr:
        """A token that is valid for a while yet, refreshed first when it is about to expire.

        Waits for nothing (the lock, the keyring, the sign-in service) past `deadline` (`anyio.current_time`).

        Raises:
            MissingTokenError: there is none, or it expired and cannot be refreshed (the message says what to do).
            TransportError: the sign-in service could not be reached to refresh it, or not before the deadline.
        """
        async with self._locked(deadline):
            await self._sync(deadline)
            held = self._usable()
            if held.access is not None and not self._due(held):
                return held.access
            return await self._refresh(held, deadline)

    async def rejected(self, used: SecretStr, deadline: float | None = None) -> SecretStr | None:
        """The API answered 401 to `used`: a token to retry with once, or None when there is nothing better.

        Within a minute of a retry that was refused too, there is nothing better: refreshing again would only
        rotate the token (see `denied`).
        """
        async with self._locked(deadline):
            await self._sync(deadline, force=True)
            held = self._usable()
            if held.access is not None and not _same(held.access, used):
                return held.access  # another caller already refreshed, or a new login landed
            if held.refresh is None or anyio.current_time() < self._denied_until:
                return None
            return await self._refresh(held, deadline)

    def denied(self) -> None:
        """The API refused the token again right after `rejected` gave a new one: the login lacks access."""
        self._denied_until = anyio.current_time() + _DENIED_FOR

    @property
    def lacks_access(self) -> bool:
        """Whether the API refused this login even right after a refresh, within the last minute."""
        return anyio.current_time() < self._denied_until

    @property
    def in_doubt(self) -> bool:
        """The saved login could not be read in full last time (the keyring did not answer): it may yet work."""
        return self._login.partial

    @asynccontextmanager
    async def _locked(self, deadline: float | None) -> AsyncIterator[None]:
        """The refresh lock and everything done under it, given up at `deadline`."""
        left = None if deadline is None else max(0.0, deadline - anyio.current_time())
        try:
            with anyio.fail_after(left):
                async with self._lock:
                    yield
        except TimeoutError:
            raise RequestTimeoutError(
                "the call's time ran out while the Astro access token was being read or refreshed "
                f"(the sign-in service is {self.workos.shown_url})"
            ) from None

    async def status(self) -> Status:
        """Where the token comes from and until when it is valid, re-read from storage."""
        async with self._lock:
            await self._sync(force=True)
            if self._settings.access_token is not None or self._settings.refresh_token is not None:
                self._login = await (await self.keeper()).load()  # the saved login's user and accounts
        held = self._held or Held(Origin.NONE)
        problem = "; ".join(p for p in (self._login.problem, self.unsaved) if p) or None
        return Status(
            source=self.source,
            signed_in=held.origin is not Origin.NONE,
            expires_at=held.expires_at,
            refreshable=held.refresh is not None,
            user=self._login.profile.user,
            accounts=self.accounts(),
            problem=problem,
        )

    def how_to_fix(self) -> str:
        """The one step that gives a usable token again, for where the current one comes from."""
        if self.lacks_access:
            return (
                "It was refused again right after a refresh, so this login lacks access: sign in as a user who "
                "can see this account (run `uvx astro-ai-mcp login` in a terminal). astro-mcp does not refresh "
                "this login again for a minute."
            )
        how = step_for(self._held.origin if self._held else Origin.NONE)
        return how[0].upper() + how[1:]

    async def _sync(self, deadline: float | None = None, *, force: bool = False) -> None:
        """Re-read the saved login when the file changed (or when asked); the environment wins, unread.

        Tokens refreshed here that could not be saved stay in use until storage holds a different login.
        """
        s = self._settings
        if s.access_token is not None or s.refresh_token is not None:
            if self._held is None:
                origin = Origin.ENV_ACCESS if s.access_token is not None else Origin.ENV_REFRESH
                self._held = held_for(self._where(origin), origin, s.access_token, s.refresh_token)
                # The saved login's user and accounts (for completions and advice), from the file alone.
                self._login = await anyio.to_thread.run_sync(Store(s.credentials_file, None).load_file)
            return
        keeper = await self.keeper()
        stamp = keeper.store.stamp()
        if self._held is not None and stamp == self._stamp and not force and not self._login.partial:
            return
        login = await keeper.load(deadline)
        self._stamp, self._login = stamp, login
        p = login.profile
        stored = _digest(p.refresh_token)
        if self.unsaved is not None and self._held is not None and stored == self._stored:
            return  # storage still holds what we read before our refresh: our tokens are the newer
        self._stored, self.unsaved = stored, None
        origin = Origin.KEYRING if login.in_keyring else Origin.FILE
        if p.access_token is None and p.refresh_token is None:
            origin = Origin.NONE
        self._held = held_for(
            self._where(origin), origin, p.access_token, p.refresh_token, p.expires_at, login.organization_id
        )

    def _usable(self) -> Held:
        held = self._held
        if held is None or held.origin is Origin.NONE:
            problem = f" ({self._login.problem})" if self._login.problem else ""
            raise MissingTokenError(f"No Astro access token is configured{problem}. {HOW_TO_LOG_IN}")
        return held

    def _due(self, held: Held) -> bool:
        """Time to refresh: within 5 minutes of expiry, or a quarter of the lifetime for short-lived tokens."""
        if held.expires_at is None:
            return False
        margin = _MARGIN
        issued = claims_expiry(held.access)[0] if held.access is not None else None
        if issued is not None:
            margin = min(margin, (held.expires_at - issued) / 4)
        return self._clock() >= held.expires_at - margin

    async def _refresh(self, held: Held, deadline: float | None) -> SecretStr:
        if held.refresh is None:
            raise MissingTokenError(self._fix("has expired", held.origin))
        await progress.step("refreshing the Astro sign-in")
        if held.origin in (Origin.ENV_ACCESS, Origin.ENV_REFRESH):
            grant = await self._exchange(held)
            self._held = self._granted(held, grant)
            return grant.access_token
        keeper = await self.keeper()
        async with keeper.store.locked() as unlocked:
            if unlocked is not None:
                logger.warning("refreshing without the lock that keeps `ast` from racing us: %s", unlocked)
            if self.unsaved is None:
                # `ast` may have refreshed since we read the file: its tokens are the newest, ours may be spent.
                self._login = await keeper.load(deadline)
                self._stamp = keeper.store.stamp()
                p = self._login.profile
                stored = held_for(self._where(held.origin), held.origin, p.access_token, p.refresh_token, p.expires_at)
                self._stored = _digest(p.refresh_token)
                if stored.access is not None and not _same(stored.access, held.access) and not self._due(stored):
                    self._held = replace(stored, organization_id=held.organization_id)
                    return stored.access
                if stored.refresh is not None:
                    held = replace(stored, organization_id=held.organization_id)
            grant = await self._exchange(held)
            # Kept in memory first: the old refresh token is spent, and whatever happens to the save, these work.
            self._held = self._granted(held, grant)
            await self._save(keeper, self._held)
        return grant.access_token

    def _granted(self, held: Held, grant: Grant) -> Held:
        return Held(held.origin, grant.access_token, grant.refresh_token, grant.expires_at(self._clock()),
                     held.organization_id)  # fmt: skip

    async def _save(self, keeper: Keeper, held: Held) -> None:
        """Store the refreshed tokens; when that fails, keep using them from memory and say so once."""
        assert held.access is not None
        assert held.refresh is not None
        problem = await keeper.save(held.access, held.refresh, held.expires_at, in_keyring=self._login.in_keyring)
        self._stamp = keeper.store.stamp()
        if problem is None:
            self._stored, self.unsaved = _digest(held.refresh), None
            return
        if self.unsaved is None:
            logger.warning(
                "The refreshed Astro login could not be saved: %s. astro-mcp keeps using it from memory until it "
                "stops, but `ast` and other astro-mcp processes now hold a spent refresh token. To fix: %s, then "
                "run `uvx astro-ai-mcp login` (or `ast login`) once.",
                problem,
                remedy(problem),
            )
        self.unsaved = problem

    async def _exchange(self, held: Held) -> Grant:
        assert held.refresh is not None
        digest = _digest(held.refresh)
        if digest == self._refused:
            raise MissingTokenError(self._fix("was revoked or has expired", held.origin))
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
        return f"{where[0].upper()}{where[1:]} {state}: {step_for(origin)}"

    async def store(self) -> Store:
        """The saved login's store (see `keeper`)."""
        return (await self.keeper()).store

    async def keeper(self) -> Keeper:
        """The saved login's keeper; finding the system keyring can block, so it happens off the loop, once."""
        if self._keeper is None:
            wanted = self._keyring
            backend = (
                await anyio.to_thread.run_sync(system_keyring, self._settings.keyring_backend)
                if wanted == "system"
                else wanted
            )
            store = Store(self._settings.credentials_file, backend)
            self._keeper = Keeper(store, self._settings.keyring_timeout)
        return self._keeper


def _digest(token: SecretStr | None) -> str | None:
    return None if token is None else hashlib.sha256(token.get_secret_value().encode()).hexdigest()


def _same(a: SecretStr, b: SecretStr | None) -> bool:
    return b is not None and a.get_secret_value() == b.get_secret_value()
