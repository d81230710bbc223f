"""What users install: one version everywhere, a registry entry that passes the registry's schema, a bundle
manifest that lists what the server offers. With ASTRO_MCP_PACKAGING_TESTS=1, also every artifact built
by scripts/build.py, installed or unpacked outside the repository, answering a real MCP client."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import anyio
import jsonschema
import pytest
from mcp import Client, StdioServerParameters
from mcp.types import TextContent

from astro_mcp.cli import main
from astro_mcp.config import Settings
from astro_mcp.server import create_server
from scripts.build import build, stated_versions

REPO = Path(__file__).resolve().parent.parent
MANIFEST: dict[str, Any] = json.loads((REPO / "bundle" / "manifest.json").read_text(encoding="utf-8"))
SERVER_JSON: dict[str, Any] = json.loads((REPO / "server.json").read_text(encoding="utf-8"))
REGISTRY_SCHEMA = REPO / "tests" / "data" / "mcp-registry-2025-12-11" / "server.schema.json"
PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")
CALL = {"account": "astro-team", "name": "support-bot"}
DISTRIBUTION = "astro-ai-mcp"
SLOW = os.environ.get("ASTRO_MCP_PACKAGING_TESTS") == "1"
slow = pytest.mark.skipif(not SLOW, reason="builds and installs every artifact: set ASTRO_MCP_PACKAGING_TESTS=1")


def pyproject_version() -> str:
    with (REPO / "pyproject.toml").open("rb") as f:
        return str(tomllib.load(f)["project"]["version"])


def test_every_stated_version_is_the_one_in_pyproject(capsys: pytest.CaptureFixture[str]) -> None:
    version = pyproject_version()
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"astro-ai-mcp {version}"
    stated = stated_versions(MANIFEST, SERVER_JSON)
    assert stated == dict.fromkeys(stated, version), "run: python3 scripts/build.py --sync-version"


def test_server_json_passes_the_registry_schema_and_its_rules() -> None:
    schema = json.loads(REGISTRY_SCHEMA.read_text(encoding="utf-8"))
    assert SERVER_JSON["$schema"] == schema["$id"]
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER).validate(SERVER_JSON)
    # Rules the registry checks beyond its schema.
    assert re.fullmatch(r"\d+\.\d+\.\d+", SERVER_JSON["version"]), "an exact version, never a range or 'latest'"
    [package] = SERVER_JSON["packages"]
    assert (package["registryType"], package["identifier"], package["transport"]) == (
        "pypi",
        DISTRIBUTION,
        {"type": "stdio"},
    )
    assert SERVER_JSON["repository"] == {"url": SERVER_JSON["websiteUrl"], "source": "github"}
    assert all(icon["src"].startswith("https://") for icon in SERVER_JSON["icons"]), "the registry takes HTTPS icons"
    variables = {v["name"]: v for v in package["environmentVariables"]}
    assert variables["ASTRO_ACCESS_TOKEN"]["isSecret"] is True
    assert not any(v["isRequired"] for v in variables.values()), "signing in once needs no variable at all"
    assert set(variables) == set(MANIFEST["server"]["mcp_config"]["env"]), "the bundle and the registry agree"


def test_the_readme_carries_the_registry_marker_for_pypi() -> None:
    marker = f"mcp-name: {SERVER_JSON['name']}"
    assert marker in (REPO / "README.md").read_text(encoding="utf-8")


@pytest.mark.anyio
async def test_the_server_introduces_itself_with_the_website_and_an_inline_icon() -> None:
    async with Client(create_server(Settings.from_env({}))) as client:
        info = client.server_info
    assert info is not None
    assert info.website_url == SERVER_JSON["websiteUrl"] == MANIFEST["homepage"] == MANIFEST["repository"]["url"]
    [icon] = info.icons or []
    assert (icon.mime_type, icon.sizes) == ("image/png", ["64x64"])
    prefix = "data:image/png;base64,"
    assert icon.src.startswith(prefix), "inline: a host shows it without fetching anything"
    image = base64.b64decode(icon.src.removeprefix(prefix))
    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    assert struct.unpack(">II", image[16:24]) == (64, 64)


def test_the_bundle_schema_is_where_the_mcpb_project_publishes_it() -> None:
    version = MANIFEST["manifest_version"]
    assert MANIFEST["$schema"] == (
        f"https://raw.githubusercontent.com/modelcontextprotocol/mcpb/main/schemas/mcpb-manifest-v{version}.schema.json"
    )


def test_unset_bundle_settings_reach_the_server_as_empty_values() -> None:
    """A host substitutes a user_config value, or else its default: without one, `${...}` would stay literal."""
    config = MANIFEST["server"]["mcp_config"]
    for key in PLACEHOLDER.findall(json.dumps(config)):
        if key.startswith("user_config."):
            option = MANIFEST["user_config"][key.removeprefix("user_config.")]
            assert option["default"] == ""
            assert option["required"] is False
    assert MANIFEST["user_config"]["access_token"]["sensitive"] is True
    assert "--no-dev" in config["args"]


@pytest.mark.anyio
async def test_the_manifest_lists_the_tools_and_prompts_the_server_offers() -> None:
    params = StdioServerParameters(command=sys.executable, args=["-m", "astro_mcp", "--demo"], cwd=REPO)
    async with Client(params) as client:
        tools = (await client.list_tools()).tools
        prompts = (await client.list_prompts()).prompts
        assert client.server_info is not None
        assert client.server_info.version == pyproject_version()
    assert [t["name"] for t in MANIFEST["tools"]] == [t.name for t in tools]
    listed = [(p["name"], p["arguments"]) for p in MANIFEST["prompts"]]
    assert listed == [(p.name, [a.name for a in p.arguments or []]) for p in prompts]


# Everything below builds the artifacts and installs them: slow, so only when asked.


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    wheel, sdist, bundle = build(tmp_path_factory.mktemp("dist"))
    return {"wheel": wheel, "sdist": sdist, "bundle": bundle}


def offline(home: Path) -> dict[str, str]:
    """The test needs no network: uv installs from the cache the repository's own install filled."""
    cache = subprocess.run(["uv", "cache", "dir"], capture_output=True, text=True, check=True).stdout.strip()
    return {"UV_OFFLINE": "1", "UV_CACHE_DIR": cache, "HOME": str(home)}


async def answers_for_support_bot(params: StdioServerParameters) -> dict[str, Any]:
    with anyio.fail_after(120):
        async with Client(params) as client:
            assert client.server_info is not None
            assert client.server_info.version == pyproject_version()
            result = await client.call_tool("get_agent_metrics", CALL)
    assert not result.is_error, result.content
    summary: dict[str, Any] | None = result.structured_content
    assert summary is not None
    return summary


def install(artifact: Path, where: Path) -> Path:
    """Install a wheel or an sdist into a new venv in `where`; return its scripts folder.

    Offline, uv resolves nothing new, so the venv first gets the runtime dependencies uv.lock pins
    (from the cache), then the artifact alone; `uv pip check` then proves that they satisfy what the
    artifact declares.
    """
    env = where / "venv"
    bin_dir = env / ("Scripts" if os.name == "nt" else "bin")
    sandbox = os.environ | offline(where) | {"UV_PROJECT_ENVIRONMENT": str(env)}
    sync = ["uv", "sync", "--frozen", "--no-dev", "--no-install-project"]
    subprocess.run(sync, check=True, cwd=REPO, env=sandbox)
    python = ["--python", str(bin_dir / "python")]
    subprocess.run(["uv", "pip", "install", *python, "--no-deps", str(artifact)], check=True, env=sandbox)
    subprocess.run(["uv", "pip", "check", *python], check=True, env=sandbox)
    version = subprocess.run(
        [bin_dir / DISTRIBUTION, "--version"], capture_output=True, text=True, check=True, cwd=where
    )
    assert version.stdout.strip() == f"{DISTRIBUTION} {pyproject_version()}"
    origin = [str(bin_dir / "python"), "-c", "import astro_mcp; print(astro_mcp.__file__)"]
    imported = subprocess.run(origin, capture_output=True, text=True, check=True, cwd=where).stdout.strip()
    assert Path(imported).is_relative_to(env), "imported from the venv, not from the repository"
    return bin_dir


@slow
@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["wheel", "sdist"])
async def test_the_installed_package_answers_from_a_fresh_venv(
    kind: str, dist: dict[str, Path], tmp_path: Path
) -> None:
    bin_dir = await anyio.to_thread.run_sync(install, dist[kind], tmp_path)
    params = StdioServerParameters(command=str(bin_dir / DISTRIBUTION), args=["--demo"], cwd=tmp_path)
    summary = await answers_for_support_bot(params)
    assert summary["totals"]["trace_count"] > 0


def uvx_environment(home: Path) -> dict[str, str]:
    """The runtime dependencies come from the registry (or uv's cache), at the versions uv.lock pins."""
    pins = home / "pins.txt"
    export = ["uv", "export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes", "--output-file", str(pins)]
    subprocess.run(export, check=True, cwd=REPO, capture_output=True)
    cache = subprocess.run(["uv", "cache", "dir"], capture_output=True, text=True, check=True).stdout.strip()
    return os.environ | {"UV_CACHE_DIR": cache, "HOME": str(home), "UV_CONSTRAINT": str(pins)}


@slow
@pytest.mark.anyio
async def test_uvx_runs_the_built_wheel_by_the_distribution_name_alone(dist: dict[str, Path], tmp_path: Path) -> None:
    """What a client config says, `uvx astro-ai-mcp`, with the wheel standing in for PyPI: no `--from` script."""
    env = await anyio.to_thread.run_sync(uvx_environment, tmp_path)
    uvx = ["--isolated", "--from", str(dist["wheel"]), DISTRIBUTION]
    version = await anyio.run_process(["uvx", *uvx, "--version"], env=env, cwd=tmp_path)
    assert version.stdout.decode().strip() == f"{DISTRIBUTION} {pyproject_version()}"
    params = StdioServerParameters(command="uvx", args=[*uvx, "--demo"], env=env, cwd=tmp_path)
    summary = await answers_for_support_bot(params)
    assert summary["totals"]["trace_count"] > 0


@slow
def test_the_wheel_carries_every_data_file_of_the_package(dist: dict[str, Path]) -> None:
    data = {
        p.relative_to(REPO).as_posix()
        for p in (REPO / "astro_mcp").rglob("*")
        if p.suffix in (".html", ".json", ".png")
    }
    with zipfile.ZipFile(dist["wheel"]) as wheel:
        assert data <= set(wheel.namelist())


@slow
def test_the_same_sources_build_the_same_bytes(dist: dict[str, Path], tmp_path: Path) -> None:
    again = build(tmp_path)
    assert [p.read_bytes() for p in again] == [dist[k].read_bytes() for k in ("wheel", "sdist", "bundle")]


def mcp_config(manifest: Mapping[str, Any], directory: Path, user_config: Mapping[str, str]) -> dict[str, Any]:
    """The launch command as the host builds it: ${__dirname}, ${HOME}, and user values over defaults."""
    values = {
        f"user_config.{k}": str(o["default"]) for k, o in manifest.get("user_config", {}).items() if "default" in o
    }
    values |= {f"user_config.{k}": v for k, v in user_config.items()}
    values |= {"__dirname": str(directory), "HOME": os.environ["HOME"], "/": os.sep, "pathSeparator": os.sep}
    substituted = PLACEHOLDER.sub(
        lambda m: values.get(m.group(1), m.group(0)), json.dumps(manifest["server"]["mcp_config"])
    )
    config: dict[str, Any] = json.loads(substituted)
    return config


@pytest.fixture
async def simulator() -> AsyncIterator[tuple[str, str]]:
    """The bundled Astro API simulator on loopback, as `astro-mcp simulate` runs it: (url, token)."""
    process = await anyio.open_process([sys.executable, "-m", "astro_mcp", "simulate", "--port", "0"])
    try:
        assert process.stdout is not None
        text = b""
        with anyio.fail_after(20):  # it prints its URL, then how to sign in, or to use its permanent demo token
            while not re.search(rb"ASTRO_ACCESS_TOKEN=\S+\s", text):
                text += await process.stdout.receive()
        found = re.search(r"ASTRO_ACCESS_TOKEN=(\S+)", text.decode())
        assert found is not None
        yield text.decode().splitlines()[0], found[1]
    finally:
        process.terminate()
        await process.wait()


@slow
@pytest.mark.anyio
async def test_the_unpacked_bundle_answers_when_launched_as_its_manifest_says(
    dist: dict[str, Path], simulator: tuple[str, str], tmp_path: Path
) -> None:
    extension = tmp_path / "Claude Extensions" / "astro-mcp"
    with zipfile.ZipFile(dist["bundle"]) as bundle:
        bundle.extractall(extension)
    manifest = json.loads((extension / "manifest.json").read_text(encoding="utf-8"))
    url, token = simulator
    config = mcp_config(manifest, extension, {"access_token": token, "api_url": url})
    # A desktop app's PATH: the system folders and the uv it provides for "uv" bundles (a link to ours).
    app_bin = tmp_path / "app-bin"
    app_bin.mkdir()
    uv = shutil.which("uv")
    assert uv is not None
    (app_bin / "uv").symlink_to(uv)
    home = tmp_path / "home"
    home.mkdir()
    env = {**config["env"], **offline(home), "PATH": os.pathsep.join([str(app_bin), "/usr/bin", "/bin"])}
    params = StdioServerParameters(command=config["command"], args=config["args"], env=env, cwd=tmp_path)
    summary = await answers_for_support_bot(params)
    assert summary["totals"]["trace_count"] > 0
    assert not (extension / ".venv" / "bin" / "pytest").exists(), "no developer tools on a user's machine"


@slow
@pytest.mark.anyio
async def test_the_bundle_with_no_token_signs_in_from_the_assistant_and_answers(
    dist: dict[str, Path], simulator: tuple[str, str], tmp_path: Path
) -> None:
    """No terminal step: the first call answers with a sign-in link and code, the simulator approves the code
    (by itself, after one poll), and a later call answers with the user's agents."""
    extension = tmp_path / "astro-mcp"
    with zipfile.ZipFile(dist["bundle"]) as bundle:
        bundle.extractall(extension)
    url, _ = simulator
    config = mcp_config(
        json.loads((extension / "manifest.json").read_text(encoding="utf-8")), extension, {"api_url": url}
    )
    assert config["env"] == {"ASTRO_ACCESS_TOKEN": "", "ASTRO_API_URL": url}
    sign_in_service = url.removesuffix("/api/v1") + "/user_management"
    env = {
        **config["env"],
        **offline(tmp_path),
        "ASTRO_MCP_AUTH_URL": sign_in_service,  # no session bus in this environment: no keyring, the file
    }
    async with Client(StdioServerParameters(command=config["command"], args=config["args"], env=env)) as client:
        with anyio.fail_after(120):
            first = await client.call_tool("list_agents", {})
            text = " ".join(c.text for c in first.content if isinstance(c, TextContent))
            assert first.is_error
            assert re.search(r"open http://\S+/activate\?user_code=\d{4}-\d{4} and confirm the code", text), text
            while (result := await client.call_tool("list_agents", {})).is_error:
                await anyio.sleep(1)
    assert "astro-team" in [a["name"] for a in (result.structured_content or {})["accounts"]]
    assert "refresh_token" in (tmp_path / ".ast" / "credentials.json").read_text()
