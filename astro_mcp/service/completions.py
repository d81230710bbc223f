"""What to offer while a user types an account or an agent name: never waiting on the API for long."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TypeVar

import anyio

from astro_mcp.advice import UnknownName
from astro_mcp.errors import AstroError
from astro_mcp.service.upstream import Upstream

logger = logging.getLogger(__name__)
T = TypeVar("T")
WAIT = 2.0  # a completion is typed live: it never waits on the API longer than this


class Completions:
    """Account slugs and agent names, from the API and from the agents this server has answered for."""

    def __init__(self, upstream: Upstream, wait: float = WAIT) -> None:
        self._up = upstream
        self._wait = wait

    async def accounts(self) -> list[str]:
        """The user's accounts (from `/me`), the login's, then those asked about."""
        me = await self._quickly(self._up.me())
        mine = [a.name for a in me.accounts] if me is not None else []
        return list(dict.fromkeys([*mine, *self._up.tokens.accounts(), *sorted(self._up.seen)]))

    async def agents(self, account: str) -> list[str]:
        """Agent names of `account`: registered or deployed, then those asked about."""
        me = await self._quickly(self._up.me())
        deployed = await self._quickly(self._up.deployments(account)) if account else None
        registered = [g.name for a in (me.accounts if me else []) if a.name == account for g in a.agents]
        found = [*registered, *(d.name or d.display_name or "" for d in deployed or [])]
        return sorted({*filter(None, found), *self._up.seen.get(account, set())})

    async def near(self, account: str, name: str | None) -> UnknownName | None:
        """Why Astro found no `account` (or no agent `name` in it), from the user's real names; None when they
        do not explain it, or cannot be read within the wait of a completion."""
        return await self._quickly(self._near(account, name))

    async def _near(self, account: str, name: str | None) -> UnknownName | None:
        me = await self._up.me()
        mine = next((a for a in me.accounts if a.name == account), None)
        if mine is None:
            return UnknownName("account", account, name or "", [a.name for a in me.accounts])
        if name is None:
            return None
        deployed = await self._up.deployments(account)
        registered = [g.name for g in mine.agents]
        if any(d.serves(name) for d in deployed):
            return None  # a deployed agent: the 404 means something else
        if name in registered:
            return UnknownName("undeployed", account, name, registered)
        known = sorted({*registered, *filter(None, (d.name or d.display_name for d in deployed))})
        return UnknownName("agent", account, name, known)

    async def _quickly(self, call: Awaitable[T]) -> T | None:
        """`call`'s value, or None if it fails or takes longer than a completion may wait."""
        with anyio.move_on_after(self._wait):
            try:
                return await call
            except AstroError as err:
                logger.info("completion source failed: %s", err)
        return None
