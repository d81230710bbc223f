"""`astro-mcp login`, `logout` and `whoami`: sign in once, where `ast` would, and share the login with it.

These commands talk to a person in a terminal, so they write to stdout; none ever shows a token.
"""

from __future__ import annotations

import os
import sys
import webbrowser
from datetime import UTC, datetime

import anyio

from astro_mcp.api.auth import AuthRejectedError, DeviceCode
from astro_mcp.api.credentials import TokenSource
from astro_mcp.api.device import DeviceSignIn, saved_in
from astro_mcp.api.store import StoreError
from astro_mcp.config import Settings
from astro_mcp.errors import AstroError
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
    flow = DeviceSignIn(settings, tokens)
    try:
        code = await flow.start()
        _show(code, browser)
        done = await flow.finish(code)
    except AuthRejectedError as err:
        return _fail(_REFUSALS.get(err.code, f"sign-in failed: {err}"))
    except (AstroError, OSError) as err:
        return _fail(f"sign-in failed: {err}")
    finally:
        await tokens.aclose()
    _out("Approved.")
    if done.accounts_problem:
        _out(f"({done.accounts_problem[0].upper()}{done.accounts_problem[1:]}.)")
    _out(f"Signed in as {done.user}; saved in {done.where}.")
    _out("astro-mcp and `ast` now share this login; it refreshes itself, and running servers pick it up.")
    if settings.access_token is not None or settings.refresh_token is not None:
        _out("Note: ASTRO_ACCESS_TOKEN or ASTRO_REFRESH_TOKEN is set here, and it takes precedence over this login.")
    return 0


def _show(code: DeviceCode, browser: bool) -> None:
    """The sign-in service's URL and code (checked by `DeviceSignIn.start`: its words must not drive this terminal)."""
    _out(f"To sign in to Astro AI, open {code.verification_uri}")
    _out(f"and confirm the code {code.user_code}  (it expires in {code.expires_in // 60} minutes).")
    url = code.verification_uri_complete or code.verification_uri
    if browser and _has_display() and webbrowser.open(url):
        _out("A browser window was opened for you.")
    _out("Waiting for approval...")


def _has_display() -> bool:
    """Linux without a display would get a text browser in this very terminal: open none there."""
    return sys.platform != "linux" or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


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
        _out(f"Signed out: the saved login is gone from {saved_in(store)}.")
    else:
        _out(f"Nothing to remove: there was no saved login in {saved_in(store)}.")
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
