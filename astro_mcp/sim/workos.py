"""The simulator's sign-in side, playing WorkOS User Management as `ast` calls it.

`POST /authorize/device` and `POST /authenticate` (device code, or refresh token with rotation), form-
encoded. Access tokens are unsigned JWTs whose `exp` lies `lifetime` seconds ahead; the API accepts
only tokens issued here that have not expired, plus the permanent ones it was given (the demo token).
Test hooks: `lifetime`, `device_answers` (errors served to polls before approval), `interval`,
`device_lifetime`, and `approve_by_hand`: then a code stays pending until someone confirms it at its
verification URL (`POST /activate` with `user_code`, as a person would in the browser) or with `approve`.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
USER = {"id": "user_01SIMULATED", "email": "dev@astro.example", "first_name": "Dev", "last_name": "Simulated"}


@dataclass
class _Device:
    user_code: str
    expires: float
    answers: list[str] = field(default_factory=list)
    approved: bool = False


class WorkOSSimulator:
    """Issues, rotates and checks tokens. `app` is mounted by the simulator at `/user_management`."""

    def __init__(self, permanent: Iterable[str], *, now: Callable[[], float] = time.time) -> None:
        self._now = now
        self._permanent = frozenset(permanent)
        self.lifetime = 3600.0
        self.interval = 5
        self.device_answers = ["authorization_pending"]
        self.device_lifetime = 300
        self.approve_by_hand = False
        self.devices_started = 0
        self.refreshes = 0
        self._access: dict[str, float] = {}
        self._refresh: set[str] = set()
        self._devices: dict[str, _Device] = {}
        self.app = Starlette(
            routes=[
                Route("/authorize/device", self._authorize_device, methods=["POST"]),
                Route("/authenticate", self._authenticate, methods=["POST"]),
                Route("/activate", self._activate, methods=["POST"]),
            ]
        )

    def reset(self) -> None:
        """Back to defaults; forget issued tokens (between tests)."""
        self.lifetime, self.interval, self.device_answers, self.refreshes = 3600.0, 5, ["authorization_pending"], 0
        self.device_lifetime, self.approve_by_hand, self.devices_started = 300, False, 0
        self._access.clear()
        self._refresh.clear()
        self._devices.clear()

    def accepts(self, token: str) -> bool:
        return token in self._permanent or self._access.get(token, 0.0) > self._now()

    def issue(self) -> dict[str, object]:
        """A fresh grant: an access token living `lifetime` seconds, and a single-use refresh token."""
        now = self._now()
        claims = {"sub": USER["id"], "iat": now, "exp": now + self.lifetime, "jti": secrets.token_hex(8)}
        access = ".".join((_b64({"alg": "none", "typ": "JWT"}), _b64(claims), secrets.token_urlsafe(16)))
        refresh = "rt_" + secrets.token_urlsafe(24)
        self._access[access] = now + self.lifetime
        self._refresh.add(refresh)
        return {"access_token": access, "refresh_token": refresh, "token_type": "Bearer", "user": USER}

    def revoke_refresh_tokens(self) -> None:
        """As a sign-out everywhere would: every refresh token issued so far is spent."""
        self._refresh.clear()

    def approve(self, user_code: str) -> bool:
        """Confirm a pending code, as its user would at the verification URL; False when there is none such."""
        device = next((d for d in self._devices.values() if d.user_code == user_code), None)
        if device is None or device.expires <= self._now():
            return False
        device.approved = True
        return True

    async def _activate(self, request: Request) -> Response:
        form = await request.form()
        if self.approve(str(form.get("user_code", ""))):
            return JSONResponse({"approved": True})
        return _error("invalid_user_code")

    async def _authorize_device(self, request: Request) -> Response:
        form = await request.form()
        if not form.get("client_id"):
            return _error("invalid_client")
        code = secrets.token_urlsafe(24)
        user_code = f"{secrets.randbelow(10**4):04d}-{secrets.randbelow(10**4):04d}"
        self._devices[code] = _Device(user_code, self._now() + self.device_lifetime, list(self.device_answers))
        self.devices_started += 1
        base = str(request.url.replace(query="")).removesuffix("/authorize/device")  # where this app is mounted
        return JSONResponse(
            {
                "device_code": code,
                "user_code": user_code,
                "verification_uri": f"{base}/activate",
                "verification_uri_complete": f"{base}/activate?user_code={user_code}",
                "expires_in": self.device_lifetime,
                "interval": self.interval,
            }
        )

    async def _authenticate(self, request: Request) -> Response:
        form = await request.form()
        if not form.get("client_id"):
            return _error("invalid_client")
        grant = form.get("grant_type")
        if grant == "refresh_token":
            token = str(form.get("refresh_token", ""))
            self.refreshes += 1
            if token not in self._refresh:
                return _error("invalid_grant")
            self._refresh.discard(token)  # rotation: a refresh token works once
            return JSONResponse(self.issue())
        if grant == DEVICE_GRANT:
            device = self._devices.get(str(form.get("device_code", "")))
            if device is None:
                return _error("invalid_grant")
            if device.expires <= self._now():
                return _error("expired_token")
            if device.answers:
                return _error(device.answers.pop(0))
            if self.approve_by_hand and not device.approved:
                return _error("authorization_pending")
            del self._devices[str(form.get("device_code"))]
            return JSONResponse(self.issue())
        return _error("unsupported_grant_type")


def _b64(claims: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()


def _error(code: str) -> Response:
    return JSONResponse({"error": code, "error_description": code.replace("_", " ")}, 400)
