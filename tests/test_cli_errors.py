"""What a person reads when a command cannot do what was asked: one line that says why and what to do."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from astro_mcp.api.store import Store
from astro_mcp.config import Settings
from astro_mcp.login import logout, whoami

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port another program is listening on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield int(holder.getsockname()[1])


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASTRO")}
    command = [sys.executable, "-m", "astro_mcp", *args]
    return subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=60, cwd=REPO, env=env)


@pytest.mark.parametrize(
    "command",
    [["simulate"], ["--transport", "streamable-http", "--demo"], ["serve", "--transport", "sse", "--demo"]],
    ids=["simulate", "streamable-http", "sse"],
)
def test_a_busy_port_is_one_line_that_names_it_and_suggests_another(command: list[str], busy_port: int) -> None:
    done = run(*command, "--port", str(busy_port))
    assert done.returncode == 2
    assert done.stdout == "", "no 'started' line first"
    assert done.stderr == (
        f"astro-mcp: port {busy_port} on 127.0.0.1 is already in use: "
        f"choose another with --port (e.g. --port {busy_port + 1}).\n"
    )


def test_port_given_with_stdio_is_said_to_be_ignored() -> None:
    done = run("--demo", "--port", "9000")  # stdin at its end: the server stops at once
    assert done.returncode == 0
    assert "astro-mcp: --port is ignored over stdio; it applies to --transport streamable-http or sse." in done.stderr
    assert done.stdout == ""


def test_stdio_without_port_says_nothing_about_it() -> None:
    assert "--port" not in run("--demo").stderr


@pytest.fixture
def nowhere(tmp_path: Path) -> Settings:
    """No token in the environment and no keyring: the login is whatever the file in tmp_path holds."""
    return Settings(credentials_file=tmp_path / "credentials.json")


@pytest.mark.anyio
async def test_logout_with_no_saved_login_says_there_was_nothing_to_remove(
    nowhere: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await logout(nowhere) == 0
    assert capsys.readouterr().out == f"Nothing to remove: there was no saved login in {nowhere.credentials_file}.\n"


@pytest.mark.anyio
async def test_logout_of_a_saved_login_says_it_is_gone(nowhere: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    expires = datetime.now(UTC) + timedelta(hours=1)
    Store(nowhere.credentials_file, None).save(SecretStr("a"), SecretStr("r"), expires, in_keyring=False)
    assert await logout(nowhere) == 0
    assert capsys.readouterr().out == f"Signed out: the saved login is gone from {nowhere.credentials_file}.\n"
    assert await logout(nowhere) == 0
    assert capsys.readouterr().out.startswith("Nothing to remove")


@pytest.mark.anyio
async def test_whoami_fails_when_the_token_it_would_use_has_expired_and_cannot_be_refreshed(
    nowhere: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    expired = datetime.now(UTC) - timedelta(minutes=5)
    Store(nowhere.credentials_file, None).save(SecretStr("a"), SecretStr("r"), expired, in_keyring=False)
    saved = json.loads(nowhere.credentials_file.read_text())
    for profile in saved["profiles"].values():
        del profile["refresh_token"]
    nowhere.credentials_file.write_text(json.dumps(saved))
    assert await whoami(nowhere) == 1
    shown = capsys.readouterr()
    assert "(expired)" in shown.out
    assert shown.err.startswith("astro-mcp: the token from the saved login")
    assert "has expired and cannot be refreshed. Run `uvx astro-ai-mcp login` (or `ast login`)" in shown.err


@pytest.mark.anyio
async def test_whoami_succeeds_when_an_expired_token_can_be_refreshed(
    nowhere: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    expired = datetime.now(UTC) - timedelta(minutes=5)
    Store(nowhere.credentials_file, None).save(SecretStr("a"), SecretStr("r"), expired, in_keyring=False)
    assert await whoami(nowhere) == 0
    assert "Refresh:  automatic" in capsys.readouterr().out
