"""Settings, read from the environment in one place (`Settings.from_env`) and passed down."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

DEFAULT_API_URL = "https://astropods.com/api/v1"
DEFAULT_AUTH_URL = "https://api.workos.com/user_management"
# The public OAuth client ID that the `ast` CLI ships; a build of `ast` may inject another.
DEFAULT_CLIENT_ID = "client_01K1VMRDRQ94MV98D9ANFVT7H2"

# Environment variable -> field. ASTRO_ACCESS_TOKEN and ASTRO_API_URL match the platform CLI;
# everything that is ours alone carries the ASTRO_MCP_ prefix.
_ENV = {
    "ASTRO_ACCESS_TOKEN": "access_token",
    "ASTRO_REFRESH_TOKEN": "refresh_token",
    "ASTRO_API_URL": "api_url",
    "ASTRO_MCP_CREDENTIALS_FILE": "credentials_file",
    "ASTRO_MCP_AUTH_URL": "auth_url",
    "ASTRO_MCP_CLIENT_ID": "client_id",
    # The keyring library's own variable: naming a backend means "use it", even a non-system one.
    "PYTHON_KEYRING_BACKEND": "keyring_backend",
    "ASTRO_MCP_CONNECT_TIMEOUT": "connect_timeout",
    "ASTRO_MCP_READ_TIMEOUT": "read_timeout",
    "ASTRO_MCP_CALL_BUDGET": "call_budget",
    "ASTRO_MCP_MAX_ATTEMPTS": "max_attempts",
    "ASTRO_MCP_RETRY_BACKOFF": "retry_backoff",
    "ASTRO_MCP_MAX_RESPONSE_MB": "max_response_mb",
    "ASTRO_MCP_MAX_WINDOW_DAYS": "max_window_days",
    "ASTRO_MCP_MAX_BUCKETS": "max_buckets",
    "ASTRO_MCP_CACHE_TTL": "cache_ttl",
    "ASTRO_MCP_LIVE_CACHE_TTL": "live_cache_ttl",
    "ASTRO_MCP_MAX_CONCURRENCY": "max_concurrency",
    "ASTRO_MCP_AUTH_TOKEN": "auth_token",
    "ASTRO_MCP_ALLOWED_HOSTS": "allowed_hosts",
    "ASTRO_MCP_ALLOWED_ORIGINS": "allowed_origins",
    "ASTRO_MCP_MAX_REQUEST_KB": "max_request_kb",
    "ASTRO_MCP_LOG_LEVEL": "log_level",
    "ASTRO_MCP_MAX_UPSTREAM_REQUESTS": "max_upstream_requests",
    "ASTRO_MCP_CACHE_MB": "cache_mb",
    "ASTRO_MCP_MAX_CONNECTIONS": "max_connections",
    "ASTRO_MCP_HEADER_TIMEOUT": "header_timeout",
    "ASTRO_MCP_KEEP_ALIVE_TIMEOUT": "keep_alive_timeout",
    "ASTRO_MCP_MAX_SESSIONS": "max_sessions",
    "ASTRO_MCP_SESSION_IDLE_TIMEOUT": "session_idle_timeout",
    "ASTRO_MCP_ALLOW_INSECURE_API_URL": "allow_insecure_api_url",
    "ASTRO_MCP_TRACE_CONTENT": "trace_content",
    "ASTRO_MCP_KEYRING_TIMEOUT": "keyring_timeout",
}

Seconds = Annotated[float, Field(gt=0, le=600)]
MIN_AUTH_TOKEN = 16
_SCHEME = re.compile(r"^bearer(\s+|$)", re.IGNORECASE)


def is_loopback(url: str) -> bool:
    """Whether `url`'s host is this machine: 'localhost' or a loopback address, parsed (127.evil.com is not)."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ConfigError(ValueError):
    """The environment holds a setting that cannot be used; the message names the variable."""


class Settings(BaseModel):
    """Everything astro-mcp can be configured with. Secrets are `SecretStr`: never shown in a repr."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    access_token: SecretStr | None = None
    refresh_token: SecretStr | None = None
    api_url: str = Field(default=DEFAULT_API_URL, pattern=r"^https?://[^\s]+$")
    credentials_file: Path = Path("~/.ast/credentials.json")
    auth_url: str = Field(default=DEFAULT_AUTH_URL, pattern=r"^https?://[^\s]+$")
    client_id: str = Field(default=DEFAULT_CLIENT_ID, pattern=r"^[A-Za-z0-9_.-]{1,200}$")
    keyring_backend: str | None = None
    connect_timeout: Seconds = 5.0
    read_timeout: Seconds = 15.0
    call_budget: Seconds = 25.0
    max_attempts: Annotated[int, Field(ge=1, le=10)] = 3
    retry_backoff: Annotated[float, Field(ge=0, le=10)] = 0.25
    max_response_mb: Annotated[float, Field(gt=0, le=1024)] = 32.0
    max_window_days: Annotated[int, Field(ge=1, le=3660)] = 90
    max_buckets: Annotated[int, Field(ge=10, le=1_000_000)] = 50_000
    cache_ttl: Annotated[float, Field(ge=0, le=86_400)] = 300.0
    live_cache_ttl: Annotated[float, Field(ge=0, le=3600)] = 10.0
    max_concurrency: Annotated[int, Field(ge=1, le=64)] = 8  # upstream requests in flight for one fan-out
    auth_token: SecretStr | None = None
    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    max_request_kb: Annotated[int, Field(ge=1, le=65536)] = 256
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # Limits: what one client, or a slow API, can take of this server.
    max_upstream_requests: Annotated[int, Field(ge=1, le=1000)] = 32
    cache_mb: Annotated[float, Field(ge=0, le=16384)] = 64.0
    max_connections: Annotated[int, Field(ge=8, le=100_000)] = 256
    header_timeout: Seconds = 10.0
    keep_alive_timeout: Annotated[int, Field(ge=1, le=600)] = 5
    max_sessions: Annotated[int, Field(ge=1, le=100_000)] = 100
    session_idle_timeout: Annotated[float, Field(gt=0, le=86_400)] = 600.0
    allow_insecure_api_url: bool = False
    # A keyring read may wait on a person (an access prompt): a call waits this long for it, then uses the file.
    keyring_timeout: Seconds = 5.0
    # Trace inputs and outputs are end users' words, often with personal data: shortened by default.
    trace_content: Literal["full", "truncated", "off"] = "truncated"

    @field_validator("access_token", "refresh_token", "auth_token")
    @classmethod
    def _bare_token(cls, token: SecretStr | None) -> SecretStr | None:
        """A token pasted with its scheme ("Bearer eyJ...") still works; a scheme with nothing after it, or a token
        with control characters, is refused."""
        if token is None:
            return None
        bare = _SCHEME.sub("", token.get_secret_value().strip()).strip()
        if not bare:
            raise ValueError('holds no token (only "Bearer"; was the variable after it unset?)')
        if not bare.isprintable():
            # A CR or LF would split the Authorization header. The message must not quote the token.
            raise ValueError("the token contains control characters (a stray line break?); paste it again")
        return SecretStr(bare)

    @field_validator("auth_token")
    @classmethod
    def _long_enough(cls, token: SecretStr | None) -> SecretStr | None:
        if token is not None and len(token.get_secret_value()) < MIN_AUTH_TOKEN:
            raise ValueError(f"must be at least {MIN_AUTH_TOKEN} characters long, so that it cannot be guessed")
        return token

    @model_validator(mode="after")
    def _no_token_in_clear(self) -> Settings:
        """Tokens must not cross a network unencrypted: https everywhere but loopback (the simulator)."""
        for var, url in (("ASTRO_API_URL", self.api_url), ("ASTRO_MCP_AUTH_URL", self.auth_url)):
            if urlsplit(url).scheme == "http" and not is_loopback(url) and not self.allow_insecure_api_url:
                what = "the access token" if var == "ASTRO_API_URL" else "refresh tokens"
                raise ValueError(
                    f"{var} uses http:// on a non-loopback host, which would send {what} in clear; use https://, "
                    "or set ASTRO_MCP_ALLOW_INSECURE_API_URL=1 if that is really intended"
                )
        return self

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Build settings from environment variables; empty values count as unset.

        Raises:
            ConfigError: a variable is set to something unusable.
        """
        values: dict[str, object] = {}
        for var, field in _ENV.items():
            raw = environ.get(var, "").strip()
            if not raw:
                continue
            if field in ("allowed_hosts", "allowed_origins"):
                values[field] = tuple(part.strip() for part in raw.split(",") if part.strip())
            elif field == "log_level":
                values[field] = raw.upper()
            elif field == "trace_content":
                values[field] = raw.lower()
            else:
                values[field] = raw
        try:
            return cls.model_validate(values)
        except ValidationError as err:
            problems = "; ".join(_problem(e) for e in err.errors(include_input=False))
            raise ConfigError(f"invalid configuration: {problems}") from None

    @property
    def cache_bytes(self) -> int:
        return int(self.cache_mb * 1024 * 1024)

    @property
    def max_response_bytes(self) -> int:
        return int(self.max_response_mb * 1024 * 1024)


def _problem(error: ErrorDetails) -> str:
    """One refused setting, named by its environment variable."""
    message = error["msg"].removeprefix("Value error, ")
    if not error["loc"]:
        return message  # a check across settings names its variables itself
    field = str(error["loc"][0])
    return f"{next((var for var, f in _ENV.items() if f == field), field)}: {message}"
