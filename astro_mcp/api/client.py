"""AstroClient: the one place that speaks HTTP to the Astro API.

One generic GET (route, params, wire model). It owns the connection pool, runs each request within
the call budget (`retry`), and maps every failure into the `astro_mcp.errors` tree in `_attempt`,
the single choke point.

At most `max_upstream_requests` calls talk to the API at once, over a pool just as large; a call that
finds every slot taken waits a few seconds at most, then fails with `BusyError`, so slow answers
cannot hold every other call hostage. Every string the API sends back goes through `upstream_text`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import TypeVar

import anyio
import httpx2
from pydantic import BaseModel, SecretStr, ValidationError

from astro_mcp import __version__
from astro_mcp.api import bounded
from astro_mcp.api.bounded import Shape
from astro_mcp.api.credentials import TokenSource
from astro_mcp.api.retry import parse_retry_after, within_budget
from astro_mcp.api.tls import tls_context
from astro_mcp.api.wire import ErrorBody
from astro_mcp.config import Settings
from astro_mcp.errors import (
    API_ERRORS,
    ApiError,
    BusyError,
    ConnectionFailedError,
    InvalidResponseError,
    NotFoundError,
    RateLimitedError,
    RequestNotSentError,
    RequestTimeoutError,
    ResponseTooLargeError,
    RouteNotFoundError,
    UnauthorizedError,
    UpstreamError,
)
from astro_mcp.redaction import remember, remember_url, shown_url, upstream_text

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
_TAGS = re.compile(r"<[^>]*>")
_ERROR_BODY_BYTES = 65536  # an error body is read this far at most: its first words are what matter
_ANY = Shape()
_SLOT_WAIT = 5.0  # the longest a call waits for an upstream slot (and never more than a quarter of its budget)


class AstroClient:
    """Speaks to the Astro API. Create once per server lifetime; `aclose()` at the end."""

    def __init__(
        self,
        settings: Settings,
        tokens: TokenSource,
        *,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        self._settings = settings
        self._tokens = tokens
        self._transport = transport
        self._http: httpx2.AsyncClient | None = None
        self._slots: anyio.CapacityLimiter | None = None
        remember_url(settings.api_url)

    def _client(self) -> httpx2.AsyncClient:
        # Created on first use: building the TLS context (`tls_context`, once per process) costs tens of
        # milliseconds that the server's start-up (the `initialize` answer) should not pay.
        if self._http is None:
            s = self._settings
            self._http = httpx2.AsyncClient(
                base_url=s.api_url,
                headers={"User-Agent": f"astro-mcp/{__version__}", "Accept": "application/json"},
                timeout=httpx2.Timeout(s.read_timeout, connect=s.connect_timeout, pool=s.call_budget),
                limits=httpx2.Limits(
                    max_connections=s.max_upstream_requests,
                    max_keepalive_connections=s.max_upstream_requests,
                    keepalive_expiry=30,
                ),
                follow_redirects=False,
                verify=tls_context(),
                transport=self._transport,
            )
        return self._http

    def open(self) -> None:
        """Make the HTTP client now, not on the first request: for a server that lives long, before it listens."""
        self._client()

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def get(
        self,
        route: str,
        params: Mapping[str, str],
        model: type[M],
        *,
        shape: Shape = _ANY,
        deadline: float | None = None,
    ) -> M:
        """GET `route` (below the API base) and decode the 200 body into `model`, retrying until `deadline`
        (`anyio.current_time`; default: the call budget from now). `shape` bounds the body.

        Raises:
            AstroError: any failure, already mapped (see `astro_mcp.errors`).
        """
        if deadline is None:
            deadline = anyio.current_time() + self._settings.call_budget
        token = await self._tokens.token(deadline)
        try:
            return await self._within_budget(route, params, token, model, shape, deadline)
        except UnauthorizedError:
            # A token that should still be valid was refused (revoked, or a clock off): refresh once, retry once.
            retry = await self._tokens.rejected(token, deadline)
            if retry is None:
                raise
        try:
            return await self._within_budget(route, params, retry, model, shape, deadline)
        except UnauthorizedError:
            self._tokens.denied()  # refused even right after a refresh: refreshing again would only rotate it
            raise

    async def _within_budget(
        self, route: str, params: Mapping[str, str], token: SecretStr, model: type[M], shape: Shape, deadline: float
    ) -> M:
        remember(token.get_secret_value())
        headers = {"Authorization": f"Bearer {token.get_secret_value()}"}
        s = self._settings
        if self._slots is None:  # made on first use: it needs the running event loop
            self._slots = anyio.CapacityLimiter(s.max_upstream_requests)
        acquired = False
        with anyio.move_on_after(min(_SLOT_WAIT, s.call_budget / 4, max(0.0, deadline - anyio.current_time()))):
            await self._slots.acquire()
            acquired = True
        if not acquired:
            raise BusyError(
                f"astro-mcp already has {s.max_upstream_requests} requests waiting on the Astro API, which is "
                "answering slowly (ASTRO_MCP_MAX_UPSTREAM_REQUESTS)"
            )
        try:
            return await within_budget(
                lambda: self._attempt(route, params, headers, model, shape),
                budget=s.call_budget,
                deadline=deadline,
                max_attempts=s.max_attempts,
                base_backoff=s.retry_backoff,
                what=route,
            )
        finally:
            self._slots.release()

    async def _attempt(
        self, route: str, params: Mapping[str, str], headers: dict[str, str], model: type[M], shape: Shape
    ) -> M:
        """One request, decoded; every failure is mapped here, the single choke point."""
        started = anyio.current_time()
        limit = min(shape.max_bytes or self._settings.max_response_bytes, self._settings.max_response_bytes)
        seconds = self._settings.read_timeout
        body = bytearray()
        try:
            async with self._client().stream("GET", route, params=params, headers=headers) as resp:
                declared = resp.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise ResponseTooLargeError(_too_large(limit, shape))
                async for chunk in resp.aiter_bytes():
                    if len(body) + len(chunk) > limit:
                        raise ResponseTooLargeError(_too_large(limit, shape))
                    body += chunk
                    if resp.status_code != 200 and len(body) >= _ERROR_BODY_BYTES:
                        break
        except httpx2.TimeoutException:
            raise RequestTimeoutError(f"the Astro API did not answer within {round(seconds, 1):g} s") from None
        except (httpx2.LocalProtocolError, httpx2.UnsupportedProtocol):
            raise RequestNotSentError(
                "the request to the Astro API could not be sent: the access token or ASTRO_API_URL holds characters "
                "that HTTP does not allow"
            ) from None
        except httpx2.DecodingError:
            raise InvalidResponseError("the Astro API's answer could not be decoded") from None
        except httpx2.RequestError as err:
            raise ConnectionFailedError(_connection_message(err, self._settings.api_url)) from None
        if resp.status_code != 200:
            raise _api_error(resp, bytes(body[:_ERROR_BODY_BYTES]))
        logger.info("GET %s -> %d bytes in %.0f ms", route, len(body), (anyio.current_time() - started) * 1000)
        try:
            return await bounded.decode(body, model, shape)
        except ValidationError as err:
            raise InvalidResponseError(_describe_invalid(err, resp)) from None


def _api_error(resp: httpx2.Response, body: bytes) -> ApiError:
    try:
        parsed = ErrorBody.model_validate_json(body)
        error, details = upstream_text(parsed.error or resp.reason_phrase), upstream_text(parsed.detail)
    except ValidationError:
        error, details = f"HTTP {resp.status_code} {upstream_text(resp.reason_phrase)}".strip(), _excerpt(body)
        if resp.status_code == NotFoundError.status:
            return RouteNotFoundError(resp.status_code, error, details)
    cls = API_ERRORS.get(resp.status_code, UpstreamError)
    if cls is RateLimitedError:
        return RateLimitedError(resp.status_code, error, details, parse_retry_after(resp.headers.get("retry-after")))
    return cls(resp.status_code, error, details)


def _excerpt(body: bytes) -> str:
    """A short, single-line, tag-free glimpse of a non-JSON body (a gateway's HTML page, say)."""
    return upstream_text(_TAGS.sub(" ", body[:2000].decode("utf-8", "replace")), 160)


def _too_large(limit: int, shape: Shape) -> str:
    why = "the most read from this route" if shape.max_bytes == limit else "ASTRO_MCP_MAX_RESPONSE_MB"
    return f"the response is larger than {limit / 1048576:.0f} MB ({why})"


def _connection_message(err: httpx2.RequestError, api_url: str) -> str:
    if isinstance(err, httpx2.ConnectError):
        return f"could not connect to the Astro API at {shown_url(api_url)}"
    if isinstance(err, httpx2.RemoteProtocolError | httpx2.ReadError):
        return "the connection to the Astro API broke before the answer was complete"
    return f"the request to the Astro API failed ({type(err).__name__})"


# Values the wire models bound for sanity rather than by the contract (see `domain.Bucket`).
_IMPLAUSIBLE = frozenset({"less_than_equal", "finite_number"})


def _describe_invalid(err: ValidationError, resp: httpx2.Response) -> str:
    first = err.errors(include_url=False, include_input=False)[0]
    if first["type"] in ("json_invalid", "json_type"):
        kind = upstream_text(resp.headers.get("content-type", "unknown").split(";")[0], 80)
        return f"the Astro API answered 200 with a body that is not JSON (content-type {kind})"
    where = ".".join(str(part) for part in first["loc"]) or "body"
    if first["type"] in _IMPLAUSIBLE or where == "interval_minutes":
        return f"the Astro API answered with implausible data ({where}: {first['msg']})"
    return f"the Astro API answered 200 with data that breaks its contract ({where}: {first['msg']})"
