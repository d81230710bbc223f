"""Signing in from inside the assistant: the device flow `login` runs, started by a call that found no usable login.

One flow at a time: a call while one is pending gets the same code. The flow is finished in the
background, in a task group the server's lifespan holds (`server.state.hosting`), and saves the login where
`login` does; the token source picks it up on the next call. A code that ran out is forgotten, so the
next call starts a new one. Nothing here waits on the user: a call only ever waits for the sign-in
service to hand out a code.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import anyio
import anyio.abc

from astro_mcp.api.auth import AuthRejectedError, DeviceCode
from astro_mcp.api.credentials import TokenSource
from astro_mcp.api.device import DeviceSignIn, SignedIn
from astro_mcp.config import Settings
from astro_mcp.errors import AstroError, InvalidResponseError, MissingTokenError

logger = logging.getLogger(__name__)

_PLAIN_CODE = re.compile(r"[A-Za-z0-9-]{4,20}")
_ENDINGS = {
    "access_denied": "was denied in the browser",
    "expired_token": "expired before it was approved",
}


@dataclass(eq=False)
class Pending:
    """A device code the user has yet to confirm, and what became of it."""

    code: DeviceCode
    expires: float  # on anyio's clock
    id: str = field(default_factory=lambda: uuid.uuid4().hex)  # names it in an elicitation
    done: anyio.Event = field(default_factory=anyio.Event)
    signed_in: SignedIn | None = None
    ended: str | None = None  # how it ended without a login: "was denied in the browser", ...
    _watchers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    @property
    def url(self) -> str:
        """Where the user confirms the code: the address with the code filled in, when the service gives one."""
        return self.code.verification_uri_complete or self.code.verification_uri

    @property
    def user_code(self) -> str:
        return self.code.user_code

    def minutes_left(self) -> int:
        return max(1, round((self.expires - anyio.current_time()) / 60))

    def when_done(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run `callback` once the user approved and the login is saved (a failing callback is only logged)."""
        self._watchers.append(callback)

    async def tell_watchers(self) -> None:
        for watcher in self._watchers:
            try:
                await watcher()
            except Exception as err:  # a client that went away must not end the server's task group
                logger.info("could not tell a client the sign-in is done (%s)", type(err).__name__)


@dataclass(frozen=True)
class Offer:
    """What a call without a usable login is answered with.

    `pending` is the code to confirm (None when a login is usable by now); `new` when this call started
    it; `before` says what became of the previous code, if it ended without a login.
    """

    pending: Pending | None
    new: bool = False
    before: str | None = None


class SignIn:
    """The one device flow of a server, and the task groups that can carry it."""

    def __init__(self, settings: Settings, tokens: TokenSource, hosts: list[anyio.abc.TaskGroup] | None = None) -> None:
        self.budget = settings.call_budget
        self._env = settings.access_token is not None or settings.refresh_token is not None
        self._tokens = tokens
        self._flow = DeviceSignIn(settings, tokens)
        self._hosts = [] if hosts is None else hosts  # the server's lifespan enters and leaves them (`hosting`)
        self._lock = anyio.Lock()
        self._pending: Pending | None = None
        self._ended: str | None = None  # how the last code ended without a login, said once

    @property
    def helps(self) -> bool:
        """A login saved here would be used (no token in the environment takes precedence over it), and the one
        saved already is not merely unread (a keyring that did not answer in time)."""
        return not self._env and not self._tokens.in_doubt

    async def begin(self) -> Offer:
        """The pending code, or a new one when there is none (or it ran out); none when a login is usable by now.

        Raises:
            AstroError: the sign-in service did not hand out a code.
        """
        async with self._lock:
            pending = self._pending
            if pending is not None and anyio.current_time() < pending.expires:
                return Offer(pending)
            try:
                await self._tokens.token()
                return Offer(None)  # a login landed meanwhile: `login` in a terminal, or the flow just finished
            except MissingTokenError:
                pass
            if not self._hosts:
                raise AstroError("signing in from here needs a running server")
            code = await self._flow.start()
            if not _PLAIN_CODE.fullmatch(code.user_code):  # a model is to pass it on word for word
                raise InvalidResponseError("the sign-in service sent a user code that is not a short plain code")
            new = Pending(code, anyio.current_time() + code.expires_in)
            before = self._ended if pending is None else _ENDINGS["expired_token"]
            self._pending, self._ended = new, None
            self._hosts[-1].start_soon(self._finish, new)
            logger.info("started a device sign-in; waiting for the user to confirm its code")
            return Offer(new, new=True, before=before)

    async def _finish(self, pending: Pending) -> None:
        try:
            signed_in = await self._flow.finish(pending.code)
            await self._tokens.token()  # read back: a login that cannot be would only start another sign-in
            pending.signed_in = signed_in
        except MissingTokenError as err:
            pending.ended = f"was approved, but the saved login cannot be read back ({err})"
        except AuthRejectedError as err:
            pending.ended = _ENDINGS.get(err.code, f"was refused by the sign-in service ({err.code})")
        except (AstroError, OSError) as err:
            pending.ended = f"failed: {err}"
        except Exception:  # a background task that raised would end the server's lifespan: never that
            logger.exception("the device sign-in failed unexpectedly")
            pending.ended = "failed unexpectedly (the server's log says why)"
        finally:
            if self._pending is pending:
                self._pending, self._ended = None, pending.ended
            pending.done.set()
        if pending.signed_in is None:
            logger.warning("the device sign-in %s", pending.ended)
        else:
            await pending.tell_watchers()
