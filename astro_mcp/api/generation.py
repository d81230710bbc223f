"""Which routes an Astro server serves, learned once per base URL: from its `/openapi.json`, else by trying.

Three generations exist: the documented per-agent observability routes only; those and the newer
per-deployment and per-account routes; and the newest, per deployment only, which publishes its
OpenAPI document on the host root. `RouteMap` reads that document on first use; where there is none,
every route is tried and a router's 404 (`RouteNotFoundError`) is remembered, so a route found missing
is never asked for again. An optional route that is missing yields None: "not available on this server".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import TypeVar
from urllib.parse import urlsplit

import anyio

from astro_mcp.api.client import AstroClient
from astro_mcp.api.platform_wire import OpenApi
from astro_mcp.errors import AstroError, NotFoundError, RouteNotFoundError

logger = logging.getLogger(__name__)
T = TypeVar("T")

AGENT_METRICS = "/agents/{account}/{name}/observability/metrics"
AGENT_SUMMARY = "/agents/{account}/{name}/observability/summary"
AGENT_TRACES = "/agents/{account}/{name}/observability/traces"
DEPLOY_HISTORY = "/agents/{account}/{name}/deployment/history"
DEPLOYMENT_METRICS = "/deployments/{id}/observability/metrics"
DEPLOYMENT_SUMMARY = "/deployments/{id}/observability/summary"
DEPLOYMENT_TRACES = "/deployments/{id}/observability/traces"
TRACE_DETAIL = "/deployments/{id}/observability/traces/{traceId}"
ALERTS = "/deployments/{id}/alerts"
EVENTS = "/deployments/{id}/events"
RUNTIME = "/deployments/{id}/runtime"
ACCOUNT_SUMMARY = "/accounts/{account}/observability/summary"
DEPLOYMENTS_SUMMARY = "/accounts/{account}/observability/deployments-summary"

# What each of the newer routes gives, for the line that says what a server cannot give.
_WHAT = {
    DEPLOY_HISTORY: "deploy history",
    ALERTS: "alerts",
    EVENTS: "infrastructure events",
    RUNTIME: "restarts",
    TRACE_DETAIL: "trace steps",
    ACCOUNT_SUMMARY: "account cost",
    DEPLOYMENTS_SUMMARY: "account cost",
    DEPLOYMENT_TRACES: "trace cost",
}
_NEWER = tuple(_WHAT)
_OPENAPI_WAIT = 5.0  # the first call waits this long at most for the server's description of itself
_PARAM = re.compile(r"\{[^}/]*\}")


def _shape(path: str) -> str:
    """A path template with its parameters unnamed: `/deployments/{}/alerts`."""
    return _PARAM.sub("{}", path.rstrip("/"))


class RouteMap:
    """What one base URL's server serves: read from its OpenAPI document, or learned from router 404s."""

    def __init__(self, client: AstroClient, api_url: str) -> None:
        self._client = client
        parts = urlsplit(api_url)
        self._root = f"{parts.scheme}://{parts.netloc}/openapi.json"
        self._prefix = parts.path.rstrip("/")  # `/api/v1`: the document's paths may or may not carry it
        self._paths: frozenset[str] | None = None
        self._read = False
        self._lock: anyio.Lock | None = None
        self._missing: set[str] = set()
        self._answered: set[str] = set()

    async def _known(self) -> frozenset[str] | None:
        """The shapes of the paths the server's OpenAPI document lists; None where it publishes none."""
        if self._read:
            return self._paths
        if self._lock is None:  # made on first use: it needs the running event loop
            self._lock = anyio.Lock()
        async with self._lock:
            if not self._read:
                self._paths, self._read = await self._fetch()
        return self._paths

    async def _fetch(self) -> tuple[frozenset[str] | None, bool]:
        """(paths, whether that is settled): a missing document is settled, a failure to fetch it is not."""
        with anyio.move_on_after(_OPENAPI_WAIT):
            try:
                doc = await self._client.get(self._root, {}, OpenApi)
            except NotFoundError:
                return None, True
            except AstroError as err:
                logger.info("no OpenAPI document from %s: %s", self._root, err)
                return None, False
            shapes = {
                _shape(p.removeprefix(self._prefix) if p.startswith(self._prefix + "/") else p) for p in doc.paths
            }
            logger.info("%s lists %d paths", self._root, len(shapes))
            return (frozenset(shapes) if shapes else None), True
        return None, False

    async def serves(self, template: str) -> bool | None:
        """Whether the server has `template`: True or False when known, None when only trying will tell."""
        if template in self._missing:
            return False
        paths = await self._known()
        return None if paths is None else _shape(template) in paths

    @property
    def published(self) -> bool:
        """Whether the server described its routes in an OpenAPI document."""
        return self._paths is not None

    def missing(self, template: str) -> None:
        """Remember that a router answered 404 for `template`: it is not asked for again."""
        if template not in self._missing:
            logger.warning("this Astro server has no route %s", template)
            self._missing.add(template)

    async def _alongside(self, fetch: Callable[[], Awaitable[T]]) -> T | AstroError:
        """`fetch()`'s answer or failure. The first time, the server's OpenAPI document is read meanwhile, so
        learning the routes costs the first call no extra round trip."""
        outcome: list[T | AstroError] = []

        async def attempt() -> None:
            try:
                outcome.append(await fetch())
            except AstroError as err:  # returned, not raised: a task group would wrap it in a group
                outcome.append(err)

        async with anyio.create_task_group() as tg:
            tg.start_soon(attempt)
            if not self._read:
                await self._known()
        return outcome[0]

    async def optional(self, template: str, fetch: Callable[[], Awaitable[T]]) -> T | None:
        """`fetch()`'s answer, or None where the server lacks `template` (found out once, then remembered).

        Raises:
            AstroError: the route exists and failed.
        """
        if await self._settled(template) is False:
            return None
        outcome = await self._alongside(fetch)
        if await self._settled(template) is False or isinstance(outcome, RouteNotFoundError):
            self.missing(template)
            return None
        if isinstance(outcome, AstroError):
            raise outcome
        self._answered.add(template)
        return outcome

    async def _settled(self, template: str) -> bool | None:
        """`serves(template)` where that is already known, without reading the document: None otherwise."""
        return await self.serves(template) if self._read or template in self._missing else None

    async def preferred(
        self, documented: str, first: Callable[[], Awaitable[T]], fallback: Callable[[], Awaitable[T]]
    ) -> tuple[T, bool]:
        """`first()`, from the `documented` route, where the server has it, else `fallback()`: (answer, documented?).

        Raises:
            AstroError: the route used failed (a router 404 on the documented one falls back instead).
        """
        answer = await self.optional(documented, first)
        return (answer, True) if answer is not None else (await fallback(), False)

    def generation(self) -> str:
        """One short line: which generation of the server answered, and what it cannot give."""
        source = " (its /openapi.json says so)" if self.published else ""
        if AGENT_METRICS in self._missing or (self.published and AGENT_METRICS not in self._answered):
            return (
                f"Server: per-deployment routes only{source}. Its metrics count no errors and come in hour or "
                "day buckets at the finest; errors are found by reading traces."
            )
        lacks = list(dict.fromkeys(_WHAT[t] for t in _NEWER if t in self._missing))
        if lacks:
            return f"Server: documented routes only; it gives no {', '.join(lacks)}."
        if self.published or self._answered.intersection(_NEWER):
            return f"Server: documented and per-deployment routes{source}."
        return "Server: documented routes."
