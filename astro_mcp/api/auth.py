"""WorkOS User Management as the `ast` CLI calls it: refresh a token, and the device authorization grant (RFC 8628).

All calls are form-encoded POSTs below `auth_url`. Failures become `AstroError`s whose messages never
carry a token: WorkOS's own error code is kept, its free-text description is not (it could echo input).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import anyio
import httpx2
from pydantic import BaseModel, SecretStr, ValidationError

from astro_mcp import __version__
from astro_mcp.api.tls import tls_context
from astro_mcp.domain import Received
from astro_mcp.errors import AstroError, InvalidResponseError, RequestTimeoutError, SignInServiceError
from astro_mcp.redaction import remember, remember_url, shown_url, upstream_text

logger = logging.getLogger(__name__)

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
_MAX_BODY = 1 << 20
M = TypeVar("M", bound=BaseModel)
_SLOW_DOWN = 5  # seconds RFC 8628 adds to the polling interval on `slow_down`
_CODE_CHARS = 80  # an OAuth error code is one short word; anything longer is cut


class AuthRejectedError(AstroError):
    """WorkOS refused the request: `code` is its OAuth error (invalid_grant, access_denied, ...)."""

    def __init__(self, code: str) -> None:
        self.code = upstream_text(code, _CODE_CHARS)  # its words, not ours: cleaned, secrets masked, capped
        super().__init__(f"the sign-in service refused the request ({self.code})")


class User(Received):
    id: str = ""
    email: str = ""
    first_name: str | None = None
    last_name: str | None = None


class Grant(Received):
    """A successful `/authenticate`: a new access token and the refresh token that replaces the old one."""

    access_token: SecretStr
    refresh_token: SecretStr
    expires_in: int | None = None
    user: User | None = None

    def expires_at(self, now: datetime) -> datetime | None:
        if self.expires_in is not None:
            return now + timedelta(seconds=self.expires_in)
        return claims_expiry(self.access_token)[1]


class DeviceCode(Received):
    device_code: SecretStr
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None = None
    expires_in: int = 300
    interval: int = 5


class _OAuthError(Received):
    error: str = ""


def claims_expiry(token: SecretStr) -> tuple[datetime | None, datetime | None]:
    """The `iat` and `exp` claims of a JWT, read but not verified (the API verifies); None where unreadable."""
    parts = token.get_secret_value().split(".")
    if len(parts) != 3:
        return None, None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        return None, None
    if not isinstance(claims, dict):
        return None, None
    return _moment(claims.get("iat")), _moment(claims.get("exp"))


def _moment(value: object) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1e11:
        return datetime.fromtimestamp(value, UTC)
    return None


class WorkOS:
    """The sign-in service. One per server lifetime; `aclose()` at the end."""

    def __init__(
        self,
        auth_url: str,
        client_id: str,
        *,
        timeout: float = 15.0,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        self.auth_url = auth_url.rstrip("/")
        self.shown_url = shown_url(self.auth_url)
        remember_url(auth_url)
        self._client_id = client_id
        self._timeout = timeout
        self._transport = transport
        self._http: httpx2.AsyncClient | None = None

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def refresh(self, refresh_token: SecretStr, organization_id: str | None = None) -> Grant:
        """Exchange a refresh token (spent by this call: WorkOS rotates them) for a new grant."""
        remember(refresh_token.get_secret_value())
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token.get_secret_value()}
        if organization_id:
            form["organization_id"] = organization_id
        return _granted(await self._post("/authenticate", form))

    async def start_device(self) -> DeviceCode:
        code = _decode(DeviceCode, await self._post("/authorize/device", {}))
        remember(code.device_code.get_secret_value())
        return code

    async def poll_device(self, code: DeviceCode) -> Grant:
        """One poll; raises `AuthRejectedError` with `authorization_pending`, `slow_down`, ... until approved."""
        form = {"grant_type": DEVICE_GRANT, "device_code": code.device_code.get_secret_value()}
        return _decode(Grant, await self._post("/authenticate", form))

    async def _post(self, path: str, form: dict[str, str]) -> bytes:
        if self._http is None:
            self._http = httpx2.AsyncClient(
                headers={"User-Agent": f"astro-mcp/{__version__}", "Accept": "application/json"},
                timeout=httpx2.Timeout(self._timeout, connect=min(5.0, self._timeout)),
                follow_redirects=False,
                verify=tls_context(),
                transport=self._transport,
            )
        try:
            async with self._http.stream(
                "POST", self.auth_url + path, data={**form, "client_id": self._client_id}
            ) as r:
                body = b""
                async for chunk in r.aiter_bytes():
                    body += chunk
                    if len(body) > _MAX_BODY:
                        raise InvalidResponseError("the sign-in service's answer is too large")
        except httpx2.TimeoutException:
            raise RequestTimeoutError(f"the sign-in service at {self.shown_url} did not answer in time") from None
        except httpx2.RequestError:
            raise SignInServiceError(f"could not reach the sign-in service at {self.shown_url}") from None
        if r.status_code == 200:
            return body
        try:
            code = _OAuthError.model_validate_json(body).error
        except ValidationError:
            code = ""
        if 400 <= r.status_code < 500 and code:
            raise AuthRejectedError(code)
        raise SignInServiceError(f"the sign-in service at {self.shown_url} failed with HTTP {r.status_code}")


def _granted(body: bytes) -> Grant:
    """A grant, whose tokens are masked from the moment they arrive."""
    grant = _decode(Grant, body)
    remember(grant.access_token.get_secret_value(), grant.refresh_token.get_secret_value())
    return grant


def _decode(model: type[M], body: bytes) -> M:
    try:
        return model.model_validate_json(body)
    except ValidationError:
        # The validation error would quote the body, and the body holds tokens.
        raise InvalidResponseError(
            f"the sign-in service answered with something that is not a {model.__name__}"
        ) from None


async def await_device_grant(
    workos: WorkOS, code: DeviceCode, sleep: Callable[[float], Awaitable[None]] = anyio.sleep
) -> Grant:
    """Poll until the user approves (RFC 8628 section 3.5): wait `interval`, +5 s on `slow_down`.

    Raises:
        AuthRejectedError: `access_denied`, or `expired_token` (also when the code's lifetime runs out here).
    """
    interval = max(code.interval, 1)
    deadline = anyio.current_time() + code.expires_in
    while anyio.current_time() < deadline:
        await sleep(interval)
        try:
            return await workos.poll_device(code)
        except AuthRejectedError as err:
            if err.code == "slow_down":
                interval += _SLOW_DOWN
            elif err.code != "authorization_pending":
                raise
    raise AuthRejectedError("expired_token")
