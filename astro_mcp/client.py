"""AstroClient: the one place that speaks HTTP to the Astro API.

It owns the connection pool, retries, the response cache and the mapping of every failure into
the `astro_mcp.errors` tree (in `_attempt`, the single choke point).
"""

from __future__ import annotations

import logging
import random
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import anyio
import httpx2
from pydantic import ValidationError

from astro_mcp import __version__
from astro_mcp.cache import SingleFlightCache
from astro_mcp.config import Settings
from astro_mcp.credentials import TokenSource
from astro_mcp.errors import (
    API_ERRORS,
    ApiError,
    AstroError,
    ConnectionFailedError,
    InvalidResponseError,
    RateLimitedError,
    RequestTimeoutError,
    UpstreamError,
)
from astro_mcp.models import ErrorBody, MetricsResponse
from astro_mcp.query import MetricsQuery, check_slug, rfc3339

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 504})
MAX_RETRY_AFTER = 10.0
_BACKOFF_CAP = 4.0
_CACHE_WEIGHT = 250_000  # buckets held at most: about 100 MiB at some 400 bytes a parsed bucket
_TAGS = re.compile(r"<[^>]*>")


class AstroClient:
    """Reads agent metrics from the Astro API. Create once per server lifetime; `aclose()` at the end."""

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
        self._cache: SingleFlightCache[MetricsQuery, MetricsResponse] = SingleFlightCache(
            _CACHE_WEIGHT, lambda response: len(response.buckets) + 1
        )

    def _client(self) -> httpx2.AsyncClient:
        # Created on first use: building the TLS context costs tens of milliseconds that the
        # server's start-up (the `initialize` answer) should not pay.
        if self._http is None:
            s = self._settings
            self._http = httpx2.AsyncClient(
                base_url=s.api_url,
                headers={"User-Agent": f"astro-mcp/{__version__}", "Accept": "application/json"},
                timeout=httpx2.Timeout(s.read_timeout, connect=s.connect_timeout, pool=s.call_budget),
                limits=httpx2.Limits(max_connections=16, max_keepalive_connections=16, keepalive_expiry=30),
                follow_redirects=False,
                transport=self._transport,
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def get_metrics(self, query: MetricsQuery, now: datetime) -> tuple[MetricsResponse, bool]:
        """Metrics for a resolved query, and whether they came from the cache.

        Raises:
            AstroError: any failure, already mapped (see `astro_mcp.errors`).
        """
        ttl = self._settings.live_cache_ttl if query.is_live(now) else self._settings.cache_ttl
        return await self._cache.get(query, ttl, lambda: self._fetch(query, now))

    async def _fetch(self, query: MetricsQuery, now: datetime) -> MetricsResponse:
        token = self._tokens.token(now)
        path = "/agents/{}/{}/observability/metrics".format(
            *(quote(check_slug(f, v), safe="") for f, v in (("account", query.account), ("name", query.name)))
        )
        params = {
            "start_time": rfc3339(query.start),
            "end_time": rfc3339(query.end),
            "interval": str(query.interval_minutes),
        }
        headers = {"Authorization": f"Bearer {token.get_secret_value()}"}
        budget = self._settings.call_budget
        deadline = anyio.current_time() + budget
        for attempt in range(1, self._settings.max_attempts + 1):
            remaining = deadline - anyio.current_time()
            started = anyio.current_time()
            try:
                response = await self._attempt(path, params, headers, min(self._settings.read_timeout, remaining))
            except (RateLimitedError, UpstreamError, ConnectionFailedError) as err:
                if isinstance(err, ApiError) and err.status_code not in RETRY_STATUSES:
                    raise
                delay = self._backoff(attempt, err)
                if attempt == self._settings.max_attempts or delay >= deadline - anyio.current_time():
                    raise
                logger.warning("attempt %d for %s failed (%s); retrying in %.2fs", attempt, path, err, delay)
                await anyio.sleep(delay)
                continue
            elapsed = (anyio.current_time() - started) * 1000
            logger.info("GET %s -> %d buckets in %.0f ms", path, len(response.buckets), elapsed)
            return response
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _backoff(self, attempt: int, err: AstroError) -> float:
        if isinstance(err, RateLimitedError) and err.retry_after is not None:
            return min(err.retry_after, MAX_RETRY_AFTER)
        ceiling = min(_BACKOFF_CAP, self._settings.retry_backoff * 2 ** (attempt - 1))
        return random.uniform(0, ceiling)

    async def _attempt(
        self, path: str, params: dict[str, str], headers: dict[str, str], seconds: float
    ) -> MetricsResponse:
        limit = self._settings.max_response_bytes
        try:
            async with self._client().stream("GET", path, params=params, headers=headers, timeout=seconds) as resp:
                declared = resp.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise InvalidResponseError(_too_large(limit))
                chunks: list[bytes] = []
                size = 0
                async for chunk in resp.aiter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise InvalidResponseError(_too_large(limit))
                    chunks.append(chunk)
        except httpx2.TimeoutException:
            raise RequestTimeoutError(f"the Astro API did not answer within {round(seconds, 1):g} s") from None
        except httpx2.DecodingError:
            raise InvalidResponseError("the Astro API's answer could not be decoded") from None
        except httpx2.RequestError as err:
            raise ConnectionFailedError(_connection_message(err, self._settings.api_url)) from None
        body = b"".join(chunks)
        if resp.status_code != 200:
            raise _api_error(resp, body)
        try:
            return MetricsResponse.model_validate_json(body)
        except ValidationError as err:
            raise InvalidResponseError(_describe_invalid(err, resp)) from None


def _api_error(resp: httpx2.Response, body: bytes) -> ApiError:
    try:
        parsed = ErrorBody.model_validate_json(body)
        error, details = parsed.error or resp.reason_phrase, parsed.detail
    except ValidationError:
        error, details = f"HTTP {resp.status_code} {resp.reason_phrase}".strip(), _excerpt(body)
    cls = API_ERRORS.get(resp.status_code, UpstreamError)
    if cls is RateLimitedError:
        return RateLimitedError(resp.status_code, error, details, _retry_after(resp.headers.get("retry-after")))
    return cls(resp.status_code, error, details)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def _excerpt(body: bytes) -> str:
    """A short, single-line, tag-free glimpse of a non-JSON body (a gateway's HTML page, say)."""
    text = _TAGS.sub(" ", body[:2000].decode("utf-8", "replace"))
    text = " ".join(text.split())
    return text[:160] + ("..." if len(text) > 160 else "")


def _too_large(limit: int) -> str:
    return f"the response is larger than {limit / 1048576:.0f} MB (ASTRO_MCP_MAX_RESPONSE_MB)"


def _connection_message(err: httpx2.RequestError, api_url: str) -> str:
    if isinstance(err, httpx2.ConnectError):
        return f"could not connect to the Astro API at {api_url}"
    if isinstance(err, httpx2.RemoteProtocolError | httpx2.ReadError):
        return "the connection to the Astro API broke before the answer was complete"
    return f"the request to the Astro API failed ({type(err).__name__})"


def _describe_invalid(err: ValidationError, resp: httpx2.Response) -> str:
    first = err.errors(include_url=False, include_input=False)[0]
    if first["type"] in ("json_invalid", "json_type"):
        kind = resp.headers.get("content-type", "unknown").split(";")[0]
        return f"the Astro API answered 200 with a body that is not JSON (content-type {kind})"
    where = ".".join(str(part) for part in first["loc"]) or "body"
    return f"the Astro API answered 200 with data that breaks its contract ({where}: {first['msg']})"
