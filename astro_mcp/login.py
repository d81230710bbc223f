"""`astro-mcp login`, `logout` and `whoami`: sign in once, where `ast` would, and share the login with it.

These commands talk to a person in a terminal, so they write to stdout; none ever shows a token.
"""

from __future__ import annotations

import os
import sys
import webbrowser
from datetime import UTC, datetime
from urllib.parse import urlsplit

import anyio

from astro_mcp.api import routes
from astro_mcp.api.auth import AuthRejectedError, DeviceCode, Grant, await_device_grant
from astro_mcp.api.client import AstroClient
from astro_mcp.api.credentials import TokenSource
from astro_mcp.api.store import Store, StoreError
from astro_mcp.config import Settings, is_loopback
from astro_mcp.errors import AstroError, InvalidResponseError
from astro_mcp.redaction import upstream_text

_REFUSALS = {
    "access_denied": "The sign-in was denied in the browser. Run `uvx astro-ai-mcp login` again to retry.",
    "expired_token": "The code expired before it was approved. Run `uvx astro-ai-mcp login` again for a new one.",
}


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _fail(text: str) -> int:
    sys.stderr.write(f"astro-mcp: {upstream_text(text, 1000)}\n")
    return 1


async def login(settings: Settings, *, browser: bool = True) -> int:
    """Run the device authorization grant, then save the tokens, the user and the accounts where `ast` would."""
    tokens = TokenSource(settings)
    try:
        store = await tokens.store()
        code = await tokens.workos.start_device()
        _show(code, browser)
        grant = await await_device_grant(tokens.workos, code)
        _out("Approved.")
        fields = await _profile_of(settings, grant)
        async with store.locked():
            expires_at = grant.expires_at(datetime.now(UTC))
            in_keyring = store.keyring is not None
            await anyio.to_thread.run_sync(
                lambda: store.save(grant.access_token, grant.refresh_token, expires_at, in_keyring=in_keyring, **fields)
            )
    except AuthRejectedError as err:
        return _fail(_REFUSALS.get(err.code, f"sign-in failed: {err}"))
    except (AstroError, OSError) as err:
        return _fail(f"sign-in failed: {err}")
    finally:
        await tokens.aclose()
    user = upstream_text(grant.user.email, 200) if grant.user is not None else "the approved user"
    _out(f"Signed in as {user}; saved in {_where(store)}.")
    _out("astro-mcp and `ast` now share this login; it refreshes itself, and running servers pick it up.")
    if settings.access_token is not None or settings.refresh_token is not None:
        _out("Note: ASTRO_ACCESS_TOKEN or ASTRO_REFRESH_TOKEN is set here, and it takes precedence over this login.")
    return 0


def _show(code: DeviceCode, browser: bool) -> None:
    """The sign-in service's URL and code, cleaned first: its words must not drive this terminal."""
    shown = _shown_link(code.verification_uri)
    if shown is None:
        raise InvalidResponseError("the sign-in service sent a verification address that is not an https URL")
    url = _shown_link(code.verification_uri_complete or "") or shown
    _out(f"To sign in to Astro AI, open {shown}")
    _out(f"and confirm the code {upstream_text(code.user_code, 40)}  (it expires in {code.expires_in // 60} minutes).")
    if browser and _has_display() and webbrowser.open(url):
        _out("A browser window was opened for you.")
    _out("Waiting for approval...")


def _shown_link(url: str) -> str | None:
    """`url` cleaned and capped, if it is an https URL (http on loopback: the simulator); else None."""
    clean = upstream_text(url, 300)
    if clean != url or " " in url:
        return None
    scheme = urlsplit(url).scheme
    return url if scheme == "https" or (scheme == "http" and is_loopback(url)) else None


def _has_display() -> bool:
    """Linux without a display would get a text browser in this very terminal: open none there."""
    return sys.platform != "linux" or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


async def _profile_of(settings: Settings, grant: Grant) -> dict[str, object]:
    """The user and their accounts from `GET /me`, as `ast` saves them; just the user when that fails."""
    fields: dict[str, object] = {"user": grant.user.model_dump() if grant.user else {}}
    only_this = TokenSource(settings.model_copy(update={"access_token": grant.access_token, "refresh_token": None}))
    client = AstroClient(settings, only_this)
    try:
        me = await routes.me(client)
    except AstroError as err:
        _out(f"(Could not list your accounts: {err}.)")
        return fields
    finally:
        await client.aclose()
        await only_this.aclose()
    accounts = [a.model_dump() for a in me.accounts]
    current = next((a.name for a in me.accounts if a.type == "personal"), me.accounts[0].name if me.accounts else None)
    return {**fields, "user": me.user or fields["user"], "accounts": accounts, "current_account": current}


def _where(store: Store) -> str:
    return f"the system keyring (details in {store.path})" if store.keyring is not None else str(store.path)


async def logout(settings: Settings) -> int:
    """Forget the saved tokens, in the keyring and the file; `ast` is signed out too."""
    tokens = TokenSource(settings)
    store = await tokens.store()
    try:
        async with store.locked():
            removed, keyring_problem = await anyio.to_thread.run_sync(store.clear)
    except (OSError, StoreError) as err:
        return _fail(f"could not remove the saved login: {getattr(err, 'strerror', None) or err}")
    if keyring_problem is not None:
        return _fail(
            f"the tokens in {store.path} are removed, but not those in the system keyring: {keyring_problem}. "
            "Unlock it and run `uvx astro-ai-mcp logout` again, or remove the 'astro-cli' entries in its own tool."
        )
    if removed:
        _out(f"Signed out: the saved login is gone from {_where(store)}.")
    else:
        _out(f"Nothing to remove: there was no saved login in {_where(store)}.")
    if settings.access_token is not None or settings.refresh_token is not None:
        _out("ASTRO_ACCESS_TOKEN or ASTRO_REFRESH_TOKEN is still set in this environment.")
    return 0


async def whoami(settings: Settings) -> int:
    """Who is signed in, with which accounts, where the token comes from and until when: never the token."""
    tokens = TokenSource(settings)
    try:
        status = await tokens.status()
    except AstroError as err:
        return _fail(str(err))
    if not status.signed_in:
        problem = f" ({status.problem})" if status.problem else ""
        _out(f"Not signed in{problem}. Run `uvx astro-ai-mcp login` (or `ast login`).")
        return 1
    user = status.user or {}
    name = " ".join(str(user.get(k) or "") for k in ("first_name", "last_name")).strip()
    email = user.get("email")
    _out(f"User:     {name} <{email}>" if name and email else f"User:     {email or name or 'unknown'}")
    _out(f"Accounts: {', '.join(status.accounts) or 'unknown'}")
    _out(f"Token:    from {status.source}")
    if status.expires_at is not None:
        left = (status.expires_at - datetime.now(UTC)).total_seconds()
        state = "expired" if left <= 0 else f"in {left:.0f} s" if left < 120 else f"in {left / 60:.0f} min"
        _out(f"Expires:  {status.expires_at:%Y-%m-%d %H:%M:%S} UTC ({state})")
    _out(
        "Refresh:  automatic"
        if status.refreshable
        else "Refresh:  none (no refresh token): sign in again when it expires"
    )
    if status.expires_at is not None and status.expires_at <= datetime.now(UTC) and not status.refreshable:
        return _fail(f"the token from {status.source} has expired and cannot be refreshed. {tokens.how_to_fix()}")
    return 0
