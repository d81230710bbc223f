"""Where the Astro access token comes from: `ASTRO_ACCESS_TOKEN`, else the `ast` CLI's credentials file.

`ast login` stores credentials in the system keyring or, where there is none, in
`~/.ast/credentials.json` (mode 0600). The file is re-read when it changes, so a fresh `ast login`
takes effect without restarting the server. Tokens are `SecretStr` and never leave this module
except as the value of an `Authorization` header.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from astro_mcp.errors import HOW_TO_LOG_IN, MissingTokenError

logger = logging.getLogger(__name__)


class _Account(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = ""


class _Profile(BaseModel):
    model_config = ConfigDict(extra="ignore")
    access_token: SecretStr | None = None
    expires_at: datetime | None = None
    accounts: list[_Account] = []
    current_account: str | None = None


class _CredentialsFile(BaseModel):
    model_config = ConfigDict(extra="ignore")
    profiles: dict[str, _Profile] = {}
    current_profile: str = "default"


@dataclass(frozen=True)
class _Snapshot:
    stamp: tuple[int, int]
    profile: _Profile | None


class TokenSource:
    """Finds the token to send to the Astro API, and the accounts the user belongs to."""

    def __init__(self, env_token: SecretStr | None, credentials_file: Path) -> None:
        self._env_token = env_token
        self._path = credentials_file.expanduser()
        self._snapshot: _Snapshot | None = None

    def token(self, now: datetime) -> SecretStr:
        """The token to use now.

        Raises:
            MissingTokenError: none is configured, or the saved one has expired.
        """
        if self._env_token is not None:
            return self._env_token
        profile = self._profile()
        if profile is None or profile.access_token is None:
            raise MissingTokenError(f"No Astro access token is configured. {HOW_TO_LOG_IN}")
        if profile.expires_at is not None and _aware(profile.expires_at) <= now:
            raise MissingTokenError(
                f"The Astro access token saved by `ast login` in {self._path} expired at "
                f"{_aware(profile.expires_at):%Y-%m-%d %H:%M} UTC (tokens last about an hour). Run any `ast` "
                "command to refresh it, or `ast login` again; or set ASTRO_ACCESS_TOKEN."
            )
        return profile.access_token

    @property
    def source(self) -> str:
        return "ASTRO_ACCESS_TOKEN" if self._env_token is not None else str(self._path)

    def accounts(self) -> list[str]:
        """Account slugs from the credentials file, the current one first; empty when unknown."""
        profile = self._profile()
        if profile is None:
            return []
        names = [a.name for a in profile.accounts if a.name]
        if profile.current_account in names:
            names.remove(profile.current_account)
            names.insert(0, profile.current_account)
        return names

    def _profile(self) -> _Profile | None:
        try:
            stat = self._path.stat()
        except OSError:
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        if self._snapshot is None or self._snapshot.stamp != stamp:
            self._snapshot = _Snapshot(stamp, self._read())
        return self._snapshot.profile

    def _read(self) -> _Profile | None:
        try:
            data = _CredentialsFile.model_validate(json.loads(self._path.read_bytes()))
        except (OSError, ValueError, ValidationError):
            # The message of a parse error can quote the file, and the file holds tokens.
            logger.warning("could not read Astro credentials from %s; ignoring it", self._path)
            return None
        return data.profiles.get(data.current_profile)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
