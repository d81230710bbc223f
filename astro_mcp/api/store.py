"""Where `ast` keeps a login, read and written the way it does.

Tokens go to the system keyring (service `astro-cli`, usernames `<profile>_access_token` and
`<profile>_refresh_token`) when there is one, else into `~/.ast/credentials.json`. The file always
holds the rest: `expires_at`, the user, the accounts. It is written atomically (a temporary file,
then rename) with mode 0600, every field we do not own kept as it was. Every method here blocks:
call them through `anyio.to_thread`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from pydantic import Field, SecretStr, ValidationError

from astro_mcp.domain import Received

if TYPE_CHECKING:  # keyring is imported when a login is first read, not at start-up
    from keyring.backend import KeyringBackend

if sys.platform != "win32":
    import fcntl

logger = logging.getLogger(__name__)

SERVICE = "astro-cli"
MAX_FILE_BYTES = 1 << 20


class Account(Received):
    name: str = ""
    type: str = ""
    role: str = ""
    workos_org_id: str | None = None


class Profile(Received):
    access_token: SecretStr | None = None
    refresh_token: SecretStr | None = None
    expires_at: datetime | None = None
    user: dict[str, Any] | None = None
    accounts: list[Account] = Field(default_factory=list)
    current_account: str | None = None


@dataclass(frozen=True)
class Login:
    """What is stored for the current profile; `problem` says why the file could not be used."""

    profile: Profile = field(default_factory=Profile)
    in_keyring: bool = False
    problem: str | None = None
    name: str = "default"
    partial: bool = False  # the keyring did not answer in time: read again next time

    def with_keyring(self, access: SecretStr | None, refresh: SecretStr | None) -> Login:
        """This login with the tokens the keyring holds, when it holds any."""
        if access is None and refresh is None:
            return self
        profile = self.profile.model_copy(update={"access_token": access, "refresh_token": refresh})
        return replace(self, profile=profile, in_keyring=True)

    @property
    def organization_id(self) -> str | None:
        """For an organization account, the WorkOS organization a refresh must be scoped to."""
        current = next((a for a in self.profile.accounts if a.name == self.profile.current_account), None)
        return current.workos_org_id if current is not None and current.type == "organization" else None


class StoreError(Exception):
    """The credentials could not be read or written; the message says why and never quotes them."""


def system_keyring(explicit: str | None) -> KeyringBackend | None:
    """The keyring `ast` would use, or None where there is no usable one (then the file holds the tokens).

    `explicit` is PYTHON_KEYRING_BACKEND: a backend named there is used whatever it is. Otherwise the
    fallback backends of keyrings.alt do not count: `ast` cannot read them, so the login would not be shared.
    """
    import keyring
    import keyring.core
    import keyring.errors

    try:
        backend = keyring.core.load_keyring(explicit) if explicit else keyring.get_keyring()
    except (ImportError, AttributeError, ValueError, keyring.errors.KeyringError) as err:
        logger.warning("no usable keyring (%s); credentials go to the file", type(err).__name__)
        return None
    return backend if explicit or _system(backend) else None


def _system(backend: KeyringBackend) -> bool:
    from keyring.backends import chainer, fail

    if isinstance(backend, chainer.ChainerBackend):
        return any(_system(b) for b in backend.backends)
    return (
        not isinstance(backend, fail.Keyring)
        and backend.priority > 0
        and not type(backend).__module__.startswith("keyrings.alt")
    )


class Store:
    def __init__(self, path: Path, backend: KeyringBackend | None) -> None:
        self.path = path.expanduser()
        self.keyring = backend

    def stamp(self) -> tuple[int, int, int] | None:
        """Changes whenever the file is rewritten (by us, `ast login` or `astro-mcp login`)."""
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def load_file(self) -> Login:
        """The current profile as the file holds it (tokens included when `ast` keeps them there)."""
        try:
            raw = self._read()
            problem = None
        except StoreError as err:
            raw, problem = {}, str(err)
        name = _profile_name(raw)
        try:
            profile = Profile.model_validate(raw.get("profiles", {}).get(name, {}))
        except (ValidationError, AttributeError):
            profile, problem = Profile(), f"{self.path} does not have the shape `ast` writes"
        return Login(profile, in_keyring=False, problem=problem, name=name)

    def keyring_tokens(self, name: str) -> tuple[SecretStr | None, SecretStr | None]:
        """The profile's access and refresh tokens in the keyring. May block for long (an access prompt)."""
        return self._keyring_get(name, "access_token"), self._keyring_get(name, "refresh_token")

    def save(self, access: SecretStr, refresh: SecretStr, expires_at: datetime | None, *, in_keyring: bool,
             **fields: Any) -> None:  # fmt: skip
        """Store new tokens where they belong, and `expires_at` and `fields` in the file; keep the rest."""
        raw = self._read()
        name = _profile_name(raw)
        profile = raw.setdefault("profiles", {}).setdefault(name, {})
        if in_keyring and self.keyring is not None:
            # Written first: if the file write fails, the keyring already holds the only valid refresh token.
            self.keyring.set_password(SERVICE, f"{name}_access_token", access.get_secret_value())
            self.keyring.set_password(SERVICE, f"{name}_refresh_token", refresh.get_secret_value())
            profile.pop("access_token", None)
            profile.pop("refresh_token", None)
        else:
            profile["access_token"] = access.get_secret_value()
            profile["refresh_token"] = refresh.get_secret_value()
        if expires_at is not None:
            profile["expires_at"] = expires_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        profile.update(fields)
        raw["current_profile"] = name
        self._write(raw)

    def clear(self) -> tuple[bool, str | None]:
        """Forget the current profile's tokens, the file's first, then the keyring's; keep the rest of the file.

        Returns whether any token was removed, and why the keyring's could not be (or None).
        Raises: StoreError, OSError: the file's.
        """
        raw = self._read()
        name = _profile_name(raw)
        removed = False
        profile = raw.get("profiles", {}).get(name)
        if isinstance(profile, dict) and any(k in profile for k in ("access_token", "refresh_token")):
            for key in ("access_token", "refresh_token", "expires_at"):
                profile.pop(key, None)
            self._write(raw)
            removed = True
        if self.keyring is None:
            return removed, None
        from keyring.errors import PasswordDeleteError

        try:
            for key in ("access_token", "refresh_token"):
                with contextlib.suppress(PasswordDeleteError):
                    self.keyring.delete_password(SERVICE, f"{name}_{key}")
                    removed = True
        except Exception as err:  # a backend may raise anything; the file's tokens are gone already
            return removed, f"the system keyring refused ({type(err).__name__})"
        return removed, None

    @contextlib.asynccontextmanager
    async def locked(self) -> AsyncIterator[str | None]:
        """Hold an exclusive lock beside the file, so that two refreshes never spend the same refresh token.

        Yields None, or why no lock could be taken (a read-only folder, say): the block then runs unlocked,
        as `ast` itself would, rather than not at all.
        """
        if sys.platform == "win32":  # no flock: a refresh racing `ast` there may lose the newest refresh token
            yield None
            return
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # O_NOFOLLOW: a symlink planted at the lock's name must not make us create or truncate its target.
            flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
            fd = os.open(self.lock_path, flags, 0o600)
        except OSError as err:
            yield f"{self.lock_path} cannot be created ({err.strerror or type(err).__name__})"
            return
        try:
            with anyio.fail_after(15):
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        await anyio.sleep(0.05)
            yield None
        finally:
            os.close(fd)  # closing releases the lock

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def _keyring_get(self, profile: str, key: str) -> SecretStr | None:
        if self.keyring is None:
            return None
        try:
            value = self.keyring.get_password(SERVICE, f"{profile}_{key}")
        except Exception as err:  # a backend (D-Bus, a keychain) may raise anything: the file remains
            logger.warning("could not read the system keyring (%s)", type(err).__name__)
            return None
        return SecretStr(value) if value else None

    def _read(self) -> dict[str, Any]:
        """The file as JSON; {} when absent. Never blocks on a FIFO, never reads more than 1 MiB."""
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except FileNotFoundError:
            return {}
        except OSError as err:
            raise StoreError(f"{self.path} cannot be opened ({err.strerror})") from None
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise StoreError(f"{self.path} is not a regular file")
            if st.st_size > MAX_FILE_BYTES:
                raise StoreError(f"{self.path} is larger than 1 MiB, far more than a login needs")
            data = f.read(MAX_FILE_BYTES + 1)
        try:
            raw = json.loads(data)
        except ValueError:
            # The parser's message can quote the file, and the file holds tokens.
            raise StoreError(f"{self.path} is not valid JSON") from None
        if not isinstance(raw, dict):
            raise StoreError(f"{self.path} does not have the shape `ast` writes")
        return raw

    def _write(self, raw: dict[str, Any]) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".credentials-", suffix=".tmp")  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(raw, f, indent=2)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def _profile_name(raw: dict[str, Any]) -> str:
    name = raw.get("current_profile")
    return name if isinstance(name, str) and name else "default"
