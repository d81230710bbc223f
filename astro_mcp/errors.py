"""Everything that can go wrong between a tool call and the Astro API.

    AstroError
    ├── QueryError              an argument was refused; nothing was sent
    ├── MissingTokenError       no usable token (none saved, refresh refused); nothing was sent
    ├── ApiError                the API answered with an error status (keeps its own message)
    │   ├── UnauthorizedError       401: missing, expired or invalid token
    │   ├── ForbiddenError          403: the token's user is not a member of the account
    │   ├── NotFoundError           404: unknown account or agent
    │   │   └── RouteNotFoundError      404 from a router, not the API: this server version lacks the route
    │   ├── RateLimitedError        429: slow down (carries Retry-After)
    │   ├── NotConfiguredError      503: observability is not set up for the account
    │   └── UpstreamError           any other status, 5xx included
    ├── TransportError          no HTTP answer at all
    │   ├── RequestTimeoutError     the API did not answer in time
    │   ├── ConnectionFailedError   the API could not be reached, or the connection broke
    │   ├── RequestNotSentError     the request could not be written (a header or URL HTTP forbids)
    │   └── BusyError               too many calls are already waiting on the API
    └── InvalidResponseError    the API answered 200 with something that is not the contract
        └── ResponseTooLargeError   the answer is larger than its route may be

Every message is safe to show a model: none carries a token or a header.
"""

from __future__ import annotations

from typing import ClassVar

HOW_TO_LOG_IN = (
    "Run `uvx astro-ai-mcp login` (or `ast login`) once in a terminal; "
    "the next call picks the login up, no restart needed."
)


class AstroError(Exception):
    """Base of every astro-mcp failure."""


class QueryError(AstroError):
    """A tool argument was refused before anything went over the network."""


class MissingTokenError(AstroError):
    """No usable Astro access token: none is configured, or it expired and could not be refreshed.

    The message names where the token came from and the one step that fixes it from there.
    """


class ApiError(AstroError):
    """The Astro API answered with an error status."""

    status: ClassVar[int | None] = None

    def __init__(self, status_code: int, error: str, details: str = "") -> None:
        self.status_code = status_code
        self.error = error
        self.details = details
        super().__init__(self.api_message)

    @property
    def api_message(self) -> str:
        """The API's own words: `error`, then `details` when there are any."""
        return f"{self.error}: {self.details}" if self.details and self.details != self.error else self.error


class UnauthorizedError(ApiError):
    status = 401


class ForbiddenError(ApiError):
    status = 403


class NotFoundError(ApiError):
    status = 404


class RouteNotFoundError(NotFoundError):
    """A 404 whose body is not the API's JSON error: a router that does not serve this route at all."""


class RateLimitedError(ApiError):
    status = 429

    def __init__(self, status_code: int, error: str, details: str = "", retry_after: float | None = None) -> None:
        super().__init__(status_code, error, details)
        self.retry_after = retry_after


class NotConfiguredError(ApiError):
    status = 503


class UpstreamError(ApiError):
    """Any status without a class of its own (5xx, unexpected 4xx)."""


class TransportError(AstroError):
    """No HTTP answer came back."""


class RequestTimeoutError(TransportError):
    """The API did not answer within the time allowed."""


class ConnectionFailedError(TransportError):
    """The API could not be reached (DNS, refused), or the connection broke mid-answer."""


class SignInServiceError(ConnectionFailedError):
    """The sign-in service (ASTRO_MCP_AUTH_URL, not the Astro API) could not be reached, or failed."""


class RequestNotSentError(TransportError):
    """The request could not be sent as built; trying again cannot help."""


class BusyError(TransportError):
    """Every upstream slot stayed taken for as long as a call may wait for one."""


class InvalidResponseError(AstroError):
    """The API answered 200 with a body that is not the documented contract."""


class ResponseTooLargeError(InvalidResponseError):
    """The answer is larger than its route's size cap: a smaller page may pass."""


API_ERRORS: dict[int, type[ApiError]] = {
    cls.status: cls
    for cls in (UnauthorizedError, ForbiddenError, NotFoundError, RateLimitedError, NotConfiguredError)
    if cls.status is not None
}
