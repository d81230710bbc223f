"""The saved login, read and written off the event loop, each within a time limit.

A system keyring can block for as long as a person takes to answer its access prompt, or refuse while
locked; a folder can be read-only, a disk full. None of that may hold a call past its deadline or lose a
rotated refresh token: a keyring read that takes too long leaves the file's tokens, and a failed write is
tried once more, then said in words, while the caller keeps the new tokens in memory.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime

import anyio
from pydantic import SecretStr

from astro_mcp.api.store import Login, Store, StoreError

_RETRY_AFTER = 0.2  # seconds before a failed save is tried once more
_Tokens = tuple[SecretStr | None, SecretStr | None]


class Keeper:
    """Reads and writes one `Store` for the server's lifetime; a keyring read still running is waited for, not
    started again."""

    def __init__(self, store: Store, timeout: float) -> None:
        self.store = store
        self.timeout = timeout
        self._pending: Future[_Tokens] | None = None

    async def load(self, deadline: float | None = None) -> Login:
        """The saved login; the keyring's tokens only if it answers within the timeout (and the deadline)."""
        login = await anyio.to_thread.run_sync(self.store.load_file)
        if self.store.keyring is None:
            return login
        tokens = await self._keyring_tokens(login.name, self._wait(deadline))
        if tokens is None:
            late = f"the system keyring did not answer within {self.timeout:g} s (is it asking for access, or locked?)"
            problem = f"{login.problem}; {late}" if login.problem else late
            return Login(login.profile, in_keyring=False, problem=problem, name=login.name, partial=True)
        return login.with_keyring(*tokens)

    async def save(
        self, access: SecretStr, refresh: SecretStr, expires_at: datetime | None, *, in_keyring: bool
    ) -> str | None:
        """Store new tokens, trying twice; None once stored, else why they could not be (in words, no token)."""
        problem = None
        for attempt in range(2):
            if attempt:
                await anyio.sleep(_RETRY_AFTER)
            problem = await self._save_once(access, refresh, expires_at, in_keyring)
            if problem is None:
                return None
        return problem

    async def _save_once(
        self, access: SecretStr, refresh: SecretStr, expires_at: datetime | None, in_keyring: bool
    ) -> str | None:
        def save() -> None:
            self.store.save(access, refresh, expires_at, in_keyring=in_keyring)

        where = "the system keyring" if in_keyring and self.store.keyring is not None else str(self.store.path)
        with anyio.move_on_after(self.timeout):
            try:
                await anyio.to_thread.run_sync(save, abandon_on_cancel=True)
            except StoreError as err:
                return str(err)
            except OSError as err:
                return f"{err.filename or self.store.path} could not be written ({err.strerror or type(err).__name__})"
            except Exception as err:  # a keyring backend may raise anything; the tokens are kept
                return f"{where} refused to store them ({type(err).__name__})"
            return None
        return f"{where} did not answer within {self.timeout:g} s"

    def _wait(self, deadline: float | None) -> float:
        left = self.timeout if deadline is None else min(self.timeout, deadline - anyio.current_time())
        return max(0.0, left)

    async def _keyring_tokens(self, name: str, wait: float) -> _Tokens | None:
        """The keyring's tokens, read in a thread of their own; None if that takes longer than `wait`."""
        if self._pending is None:
            self._pending = _in_thread(lambda: self.store.keyring_tokens(name))
        pending = self._pending
        pause = 0.002
        with anyio.move_on_after(wait):
            while not pending.done():
                await anyio.sleep(pause)
                pause = min(pause * 2, 0.05)
        if not pending.done():
            return None
        self._pending = None
        try:
            return pending.result()
        except Exception:  # the store logs what it can; a keyring that fails leaves the file's
            return (None, None)


def _in_thread(read: Callable[[], _Tokens]) -> Future[_Tokens]:
    """Run `read` in a daemon thread: one blocked on an access prompt must not keep the process from exiting."""
    future: Future[_Tokens] = Future()

    def run() -> None:
        try:
            future.set_result(read())
        except BaseException as err:  # handed to whoever waits for it
            future.set_exception(err)

    threading.Thread(target=run, name="astro-mcp-keyring", daemon=True).start()
    return future
