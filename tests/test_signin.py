"""Sign-in that lasts: refresh, rotation, storage, the device flow, hardening. All against the simulator over HTTP."""

from __future__ import annotations

import json
import logging
import os
import socket
import stat
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import pytest
from keyrings.alt.file import PlaintextKeyring
from mcp import Client, StdioServerParameters
from pydantic import SecretStr

from astro_mcp.api import routes
from astro_mcp.api.auth import AuthRejectedError, WorkOS, await_device_grant
from astro_mcp.api.client import AstroClient
from astro_mcp.api.credentials import TokenSource
from astro_mcp.api.store import SERVICE, Store
from astro_mcp.config import ConfigError, Settings
from astro_mcp.domain import AgentRef, MetricsQuery
from astro_mcp.errors import MissingTokenError
from astro_mcp.login import login, logout, whoami
from astro_mcp.sim.app import Scripted, Simulator
from tests.support import NOW, server_at_now, stdio_env, text_of

pytestmark = pytest.mark.anyio

HOUR = MetricsQuery(AgentRef("astro-team", "weather-agent"), NOW - timedelta(hours=1), NOW.replace(second=0), 5)


def query(minutes: int) -> MetricsQuery:
    """A distinct query, so that no cache in front of the client merges calls."""
    return MetricsQuery(HOUR.agent, HOUR.start - timedelta(minutes=minutes), HOUR.end, 5)


@pytest.fixture
def creds(tmp_path: Path) -> Path:
    return tmp_path / "ast" / "credentials.json"


@pytest.fixture
def saved(settings: Settings, creds: Path) -> Settings:
    """Settings with no token in the environment: the login is the one saved in `creds`."""
    return settings.model_copy(update={"access_token": None, "credentials_file": creds})


def keyring_in(tmp_path: Path) -> PlaintextKeyring:
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring.cfg")
    return backend


def sign_in(simulator: Simulator, store: Store, *, expired: bool = False, **fields: object) -> dict[str, str]:
    """Save a grant the simulator issued, as `ast login` would; `expired` backdates it."""
    grant = simulator.workos.issue()
    access, refresh = SecretStr(str(grant["access_token"])), SecretStr(str(grant["refresh_token"]))
    expires = datetime.now(UTC) + (timedelta(hours=-1) if expired else timedelta(hours=1))
    store.save(access, refresh, expires, in_keyring=store.keyring is not None, **fields)
    return {"access": access.get_secret_value(), "refresh": refresh.get_secret_value()}


@pytest.mark.waits(6)
async def test_a_server_keeps_answering_over_several_token_lifetimes(simulator: Simulator, saved: Settings) -> None:
    simulator.workos.lifetime = 2  # 1 s is too short on a loaded machine: a retry's new token could lapse in flight
    sign_in(simulator, Store(saved.credentials_file, None))
    started = anyio.current_time()
    async with Client(server_at_now(saved, cache_ttl=0, live_cache_ttl=0)) as client:
        # Until three tokens have expired and been replaced: a loaded machine makes fewer calls a second.
        while simulator.workos.refreshes < 3 and anyio.current_time() - started < 30:
            result = await client.call_tool("get_agent_metrics", {"account": "astro-team", "name": "weather-agent"})
            assert not result.is_error, text_of(result)
            await anyio.sleep(0.25)
    assert simulator.workos.refreshes >= 3


async def test_the_rotated_refresh_token_lands_in_the_keyring_it_came_from(
    simulator: Simulator, saved: Settings, tmp_path: Path
) -> None:
    backend = keyring_in(tmp_path)
    old = sign_in(simulator, Store(saved.credentials_file, backend), expired=True)
    tokens = TokenSource(saved, keyring=backend)
    await routes.metrics(AstroClient(saved, tokens), HOUR)
    new_refresh = backend.get_password(SERVICE, "default_refresh_token")
    assert new_refresh not in (None, old["refresh"])
    assert backend.get_password(SERVICE, "default_access_token") != old["access"]
    profile = json.loads(saved.credentials_file.read_text())["profiles"]["default"]
    assert "refresh_token" not in profile
    assert "access_token" not in profile  # with a keyring, the file holds no token, as `ast` keeps it
    assert datetime.fromisoformat(profile["expires_at"]) > datetime.now(UTC)


async def test_the_rotated_refresh_token_lands_in_the_file_which_keeps_its_mode_and_fields(
    simulator: Simulator, saved: Settings
) -> None:
    old = sign_in(simulator, Store(saved.credentials_file, None), expired=True, accounts=[{"name": "astro-team"}])
    raw = json.loads(saved.credentials_file.read_text())
    raw["cli_version"] = "1.2.3"
    raw["profiles"]["default"]["telemetry"] = {"enabled": False}
    saved.credentials_file.write_text(json.dumps(raw))
    saved.credentials_file.chmod(0o600)
    await routes.metrics(AstroClient(saved, TokenSource(saved, keyring=None)), HOUR)
    after = json.loads(saved.credentials_file.read_text())
    profile = after["profiles"]["default"]
    assert profile["refresh_token"] != old["refresh"]
    assert (after["cli_version"], profile["telemetry"], profile["accounts"]) == (
        "1.2.3",
        {"enabled": False},
        [{"name": "astro-team"}],
    )
    assert stat.S_IMODE(saved.credentials_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(saved.credentials_file.parent.stat().st_mode) == 0o700


async def test_fifty_concurrent_calls_with_an_expired_token_share_one_refresh(
    simulator: Simulator, saved: Settings
) -> None:
    sign_in(simulator, Store(saved.credentials_file, None), expired=True)
    client = AstroClient(saved, TokenSource(saved, keyring=None))
    async with anyio.create_task_group() as tg:
        for minutes in range(50):
            tg.start_soon(routes.metrics, client, query(minutes))
    await client.aclose()
    assert simulator.workos.refreshes == 1
    assert len(simulator.requests) == 50


async def test_a_401_on_a_valid_token_refreshes_once_and_retries_once(simulator: Simulator, saved: Settings) -> None:
    sign_in(simulator, Store(saved.credentials_file, None))
    unauthorized = Scripted(401, b'{"error":"unauthorized"}')
    simulator.script("astro-team", "weather-agent", unauthorized)
    client = AstroClient(saved, TokenSource(saved, keyring=None))
    await routes.metrics(client, HOUR)
    assert simulator.workos.refreshes == 1
    first, second = simulator.requests
    assert first.authorization != second.authorization
    simulator.script("astro-team", "weather-agent", unauthorized, unauthorized)
    with pytest.raises(Exception, match="unauthorized"):
        await routes.metrics(client, query(1))  # refused again after the refresh: no loop
    assert simulator.workos.refreshes == 2
    await client.aclose()


async def test_a_refused_refresh_says_sign_in_again_and_is_not_retried(simulator: Simulator, saved: Settings) -> None:
    sign_in(simulator, Store(saved.credentials_file, None), expired=True)
    simulator.workos.revoke_refresh_tokens()
    client = AstroClient(saved, TokenSource(saved, keyring=None))
    for _ in range(3):
        with pytest.raises(
            MissingTokenError, match=r"saved login .* was revoked or has expired: run `uvx astro-ai-mcp login`"
        ):
            await routes.metrics(client, HOUR)
    assert simulator.workos.refreshes == 1
    assert simulator.requests == []


async def test_an_expired_env_token_names_the_variable_and_the_fix(simulator: Simulator, settings: Settings) -> None:
    simulator.workos.lifetime = -1
    expired = SecretStr(str(simulator.workos.issue()["access_token"]))
    client = AstroClient(settings, TokenSource(settings.model_copy(update={"access_token": expired})))
    with pytest.raises(MissingTokenError, match=r"ASTRO_ACCESS_TOKEN has expired: remove ASTRO_ACCESS_TOKEN"):
        await routes.metrics(client, HOUR)


async def test_an_env_refresh_token_is_refreshed_in_memory(simulator: Simulator, settings: Settings) -> None:
    refresh = SecretStr(str(simulator.workos.issue()["refresh_token"]))
    env = settings.model_copy(update={"access_token": None, "refresh_token": refresh})
    client = AstroClient(env, TokenSource(env, keyring=None))
    await routes.metrics(client, HOUR)
    await routes.metrics(client, query(1))
    assert simulator.workos.refreshes == 1
    assert not env.credentials_file.exists()


async def recorded_device_flow(settings: Settings, answers: list[str]) -> tuple[list[float], str | None]:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    workos = WorkOS(settings.auth_url, settings.client_id)
    code = await workos.start_device()
    try:
        await await_device_grant(workos, code, sleep)
        refused = None
    except AuthRejectedError as err:
        refused = err.code
    await workos.aclose()
    return waits, refused


async def test_the_device_flow_waits_slows_down_and_succeeds(simulator: Simulator, settings: Settings) -> None:
    simulator.workos.interval = 2
    simulator.workos.device_answers = ["authorization_pending", "slow_down", "authorization_pending"]
    waits, refused = await recorded_device_flow(settings, simulator.workos.device_answers)
    assert (waits, refused) == ([2, 2, 7, 7], None)


@pytest.mark.parametrize("answer", ["access_denied", "expired_token"])
async def test_the_device_flow_stops_when_denied_or_expired(
    simulator: Simulator, settings: Settings, answer: str
) -> None:
    simulator.workos.device_answers = ["authorization_pending", answer]
    waits, refused = await recorded_device_flow(settings, simulator.workos.device_answers)
    assert (len(waits), refused) == (2, answer)


@pytest.mark.waits
async def test_login_whoami_logout_share_the_login_and_never_show_a_token(
    simulator: Simulator, saved: Settings, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    simulator.workos.interval = 1
    assert await login(saved, browser=False) == 0
    profile = json.loads(saved.credentials_file.read_text())["profiles"]["default"]
    assert profile["current_account"] == "ada-lovelace"  # the user's personal account, as `ast` picks it
    assert await whoami(saved) == 0
    shown = capsys.readouterr().out
    assert "dev@astro.example" in shown
    assert "Accounts: ada-lovelace" in shown
    assert "astro-team" in shown
    assert f"Token:    from the saved login ({saved.credentials_file})" in shown
    await routes.metrics(AstroClient(saved, TokenSource(saved, keyring=None)), HOUR)  # the server uses it
    assert await logout(saved) == 0
    assert await whoami(saved) == 1
    shown += capsys.readouterr().out + " ".join(r.getMessage() for r in caplog.records)
    for secret in (profile["access_token"], profile["refresh_token"]):
        assert secret not in shown
    assert "access_token" not in json.loads(saved.credentials_file.read_text())["profiles"]["default"]


@pytest.mark.skipif(sys.platform == "win32", reason="no FIFOs")
async def test_a_fifo_or_a_huge_file_is_refused_quickly_and_says_why(saved: Settings) -> None:
    saved.credentials_file.parent.mkdir()
    os.mkfifo(saved.credentials_file)
    with anyio.fail_after(5), pytest.raises(MissingTokenError, match="is not a regular file"):
        await TokenSource(saved, keyring=None).token()
    saved.credentials_file.unlink()
    saved.credentials_file.write_bytes(b" " * (2 << 20))
    with pytest.raises(MissingTokenError, match="larger than 1 MiB"):
        await TokenSource(saved, keyring=None).token()


async def test_a_token_with_control_characters_is_refused_without_being_shown(saved: Settings) -> None:
    secret = "tok-CTRL-8d1f\r\nX-Injected: 1"
    Store(saved.credentials_file, None).save(SecretStr(secret), SecretStr("r"), None, in_keyring=False)
    with pytest.raises(MissingTokenError, match="contains control characters") as caught:
        await TokenSource(saved, keyring=None).token()
    assert "tok-CTRL" not in str(caught.value)
    with pytest.raises(ConfigError, match=r"ASTRO_ACCESS_TOKEN: .*control characters") as bad:
        Settings.from_env({"ASTRO_ACCESS_TOKEN": "tok-CTRL-8d1f\nx"})
    assert "tok-CTRL" not in str(bad.value)


@pytest.mark.waits(7)
async def test_done_when_login_then_a_stdio_server_with_no_token_answers_for_several_lifetimes(
    simulator: Simulator, saved: Settings, tmp_path: Path
) -> None:
    """`astro-mcp login`, then a Claude Desktop-style stdio launch with no token, keyring path (a real backend)."""
    simulator.workos.lifetime = 2  # 1 s is too short on a loaded machine: a retry's new token could lapse in flight
    simulator.workos.interval = 1
    env = {
        **stdio_env(saved, tmp_path),
        "ASTRO_MCP_CACHE_TTL": "0",
        "ASTRO_MCP_LIVE_CACHE_TTL": "0",
    }
    done = await anyio.run_process([sys.executable, "-m", "astro_mcp", "login", "--no-browser"], env=env, check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert "access_token" not in saved.credentials_file.read_text()  # the tokens went to the keyring
    params = StdioServerParameters(command=sys.executable, args=["-m", "astro_mcp"], env=env)
    async with Client(params) as client:
        started = anyio.current_time()
        while simulator.workos.refreshes < 3 and anyio.current_time() - started < 30:
            result = await client.call_tool("get_agent_metrics", {"account": "astro-team", "name": "support-bot"})
            assert not result.is_error, text_of(result)
            await anyio.sleep(0.35)
    assert simulator.workos.refreshes >= 3
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "data" / "python_keyring" / "keyring_pass.cfg")
    assert backend.get_password(SERVICE, "default_refresh_token") is not None


async def test_an_unreachable_sign_in_service_is_blamed_on_its_own_setting(
    simulator: Simulator, saved: Settings, free_loopback_url: str
) -> None:
    sign_in(simulator, Store(saved.credentials_file, None), expired=True)
    unreachable = saved.model_copy(update={"auth_url": f"{free_loopback_url}/user_management"})
    async with Client(server_at_now(unreachable)) as client:
        result = await client.call_tool("get_agent_metrics", {"account": "astro-team", "name": "weather-agent"})
    assert result.is_error
    text = text_of(result)
    assert f"Refreshing the sign-in failed: could not reach the sign-in service at {free_loopback_url}" in text
    assert "ASTRO_MCP_AUTH_URL" in text
    assert "ASTRO_API_URL" not in text


@pytest.fixture
def free_loopback_url() -> str:
    """A loopback address where nothing listens: bound to find a port, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"
