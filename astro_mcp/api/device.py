"""The device authorization grant (RFC 8628) from the first request to the saved login, as `ast login` does it.

`astro-mcp login` runs it in a terminal; the server runs it in the background when a tool is called
with no usable login. Either way the tokens, the user and the accounts land where `ast` keeps them
(the system keyring, else the 0600 file), through the one `Store`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import anyio

from astro_mcp.api import routes
from astro_mcp.api.auth import DeviceCode, Grant, await_device_grant
from astro_mcp.api.client import AstroClient
from astro_mcp.api.credentials import TokenSource
from astro_mcp.api.store import Store, StoreError
from astro_mcp.config import Settings, is_loopback
from astro_mcp.errors import AstroError, InvalidResponseError
from astro_mcp.redaction import upstream_text

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignedIn:
    """A finished sign-in: who, where the login was saved, and why the accounts are missing if they are."""

    user: str
    where: str
    accounts_problem: str | None = None


def _checked(code: DeviceCode) -> DeviceCode:
    """`code` if its address is an https URL (http on loopback: the simulator), with its user code cleaned (one
    line, no control characters, capped) and its prefilled address dropped when that one does not pass: the
    sign-in service's words must not drive a terminal. Raises: InvalidResponseError."""
    if _link(code.verification_uri) is None:
        raise InvalidResponseError("the sign-in service sent a verification address that is not an https URL")
    return code.model_copy(
        update={
            "user_code": upstream_text(code.user_code, 40),
            "verification_uri_complete": _link(code.verification_uri_complete or ""),
        }
    )


def _link(url: str) -> str | None:
    """`url` if it is a plain https URL (http on loopback) of at most 300 characters; else None."""
    if upstream_text(url, 300) != url or " " in url:
        return None
    scheme = urlsplit(url).scheme
    return url if scheme == "https" or (scheme == "http" and is_loopback(url)) else None


def saved_in(store: Store) -> str:
    """Where a login in `store` lives, in words."""
    return f"the system keyring (details in {store.path})" if store.keyring is not None else str(store.path)


class DeviceSignIn:
    """Starts a device code and finishes it into a saved login, with the sign-in service of `tokens`."""

    def __init__(self, settings: Settings, tokens: TokenSource) -> None:
        self._settings = settings
        self._tokens = tokens

    async def start(self) -> DeviceCode:
        """A new code for the user to confirm, its address and code checked as fit to show a person.

        Raises:
            AstroError: the sign-in service refused, was away, or sent an address or code not fit to show.
        """
        await self._tokens.store()  # finding the keyring can take a while: before the user is shown a code
        return _checked(await self._tokens.workos.start_device())

    async def finish(self, code: DeviceCode, sleep: Callable[[float], Awaitable[None]] = anyio.sleep) -> SignedIn:
        """Wait for approval, then save the tokens, the user and the accounts as `ast` would.

        Raises:
            AuthRejectedError: `access_denied`, or `expired_token` when the code ran out first.
            AstroError, OSError: the sign-in service failed, or the login could not be saved.
        """
        grant = await await_device_grant(self._tokens.workos, code, sleep)
        fields, problem = await self._profile_of(grant)
        store = await self._tokens.store()
        async with store.locked():
            expires_at = grant.expires_at(datetime.now(UTC))
            in_keyring = store.keyring is not None
            try:
                await anyio.to_thread.run_sync(
                    lambda: store.save(
                        grant.access_token, grant.refresh_token, expires_at, in_keyring=in_keyring, **fields
                    )
                )
            except StoreError as err:
                raise AstroError(f"the login could not be saved: {err}") from None
        where = saved_in(store)
        user = (
            upstream_text(grant.user.email, 200) if grant.user is not None and grant.user.email else "the approved user"
        )
        logger.info("signed in to Astro AI; the login is saved in %s", where)
        return SignedIn(user, where, problem)

    async def _profile_of(self, grant: Grant) -> tuple[dict[str, object], str | None]:
        """The user and their accounts from `GET /me`, as `ast` saves them; just the user (and why) when that fails."""
        fields: dict[str, object] = {"user": grant.user.model_dump() if grant.user else {}}
        only_this = self._settings.model_copy(update={"access_token": grant.access_token, "refresh_token": None})
        tokens = TokenSource(only_this, keyring=None)
        client = AstroClient(only_this, tokens)
        try:
            me = await routes.me(client)
        except AstroError as err:
            return fields, f"could not list your accounts: {err}"
        finally:
            await client.aclose()
            await tokens.aclose()
        accounts = [a.model_dump() for a in me.accounts]
        first = me.accounts[0].name if me.accounts else None
        current = next((a.name for a in me.accounts if a.type == "personal"), first)
        return {**fields, "user": me.user or fields["user"], "accounts": accounts, "current_account": current}, None
