"""Settings come from the environment in one place, and keep secrets out of sight."""

from __future__ import annotations

from pathlib import Path

import pytest

from astro_mcp.config import DEFAULT_API_URL, ConfigError, Settings


def test_defaults_need_no_environment() -> None:
    settings = Settings.from_env({})
    assert settings.api_url == DEFAULT_API_URL
    assert settings.access_token is None
    assert settings.credentials_file == Path("~/.ast/credentials.json")
    assert settings.max_window_days == 90


def test_the_platform_cli_variables_and_our_prefixed_ones_are_read() -> None:
    settings = Settings.from_env(
        {
            "ASTRO_ACCESS_TOKEN": "secret-token-1",
            "ASTRO_API_URL": "http://127.0.0.1:9/api/v1",
            "ASTRO_MCP_READ_TIMEOUT": "3.5",
            "ASTRO_MCP_ALLOWED_HOSTS": "mcp.example.com:*, 10.0.0.5:8000",
            "ASTRO_MCP_LOG_LEVEL": "debug",
            "ASTRO_MCP_AUTH_TOKEN": "",
        }
    )
    assert settings.access_token is not None
    assert settings.access_token.get_secret_value() == "secret-token-1"
    assert settings.api_url == "http://127.0.0.1:9/api/v1"
    assert settings.read_timeout == 3.5
    assert settings.allowed_hosts == ("mcp.example.com:*", "10.0.0.5:8000")
    assert settings.log_level == "DEBUG"
    assert settings.auth_token is None


def test_tokens_never_show_in_a_repr_or_a_dump() -> None:
    settings = Settings.from_env(
        {"ASTRO_ACCESS_TOKEN": "secret-token-1", "ASTRO_MCP_AUTH_TOKEN": "secret-token-2-long-enough"}
    )
    shown = repr(settings) + str(settings) + settings.model_dump_json()
    assert "secret-token-1" not in shown
    assert "secret-token-2" not in shown


def test_a_token_pasted_with_its_scheme_still_works() -> None:
    settings = Settings.from_env({"ASTRO_ACCESS_TOKEN": "Bearer eyJ-abc "})
    assert settings.access_token is not None
    assert settings.access_token.get_secret_value() == "eyJ-abc"


def test_a_bad_value_names_the_variable_and_not_the_value() -> None:
    with pytest.raises(ConfigError, match="ASTRO_MCP_READ_TIMEOUT") as caught:
        Settings.from_env({"ASTRO_MCP_READ_TIMEOUT": "soon", "ASTRO_ACCESS_TOKEN": "secret-token-1"})
    assert "secret-token-1" not in str(caught.value)
    with pytest.raises(ConfigError, match="ASTRO_API_URL"):
        Settings.from_env({"ASTRO_API_URL": "astropods.com"})
