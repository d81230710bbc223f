"""Every snippet a user copies installs or runs our distribution, `astro-ai-mcp`, never a namesake.

PyPI's `astro-mcp` belongs to an unrelated project: a config that says `uvx astro-mcp` runs someone
else's code. So every install or run command in what we ship (the README, docs/, the changelog, the
registry entry, the bundle's manifest, the example config, the framework examples) is read here.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DISTRIBUTION = "astro-ai-mcp"
WHEEL_PREFIX = DISTRIBUTION.replace("-", "_") + "-"
# A command that installs or runs a distribution, then whatever follows it in the same snippet.
RUNNER = re.compile(r"\b(uvx|pipx run|pipx install|uv tool (?:run|install)|uv add|pip install)\b")
TOKEN = re.compile(r"[\w.@/<>~+-]+(?:[=<>~!]=[\w.*]+)?")
KEYS = {"args", "command"}  # JSON and TOML keys between `"command": "uvx"` and its arguments
CODE = re.compile(r"```.*?```|`[^`\n]+`", re.DOTALL)


def shipped() -> list[Path]:
    files = [REPO / "README.md", REPO / "CHANGELOG.md", REPO / "tests" / "frameworks" / "README.md"]
    files += sorted((REPO / "docs").glob("**/*.md"))
    files += [REPO / "server.json", REPO / "bundle" / "manifest.json", REPO / "claude_desktop_config.example.json"]
    return [f for f in files if f.exists()]


def snippets(path: Path) -> list[str]:
    """The code a reader copies: fenced blocks and inline spans of Markdown; each launch command and string of JSON."""
    text = path.read_text(encoding="utf-8")
    return CODE.findall(text) if path.suffix == ".md" else list(json_snippets(json.loads(text)))


def json_snippets(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from json_snippets(item)
    elif isinstance(value, dict):
        if isinstance(value.get("command"), str) and isinstance(value.get("args"), list):
            yield " ".join([value["command"], *map(str, value["args"])])
        for item in value.values():
            yield from json_snippets(item)


def named_distributions(snippet: str) -> list[str]:
    """What each install or run command in the snippet names: a package, a path or a placeholder."""
    named = []
    for found in RUNNER.finditer(snippet):
        tokens = [t for t in TOKEN.findall(snippet[found.end() : found.end() + 120]) if t not in KEYS]
        while tokens and tokens[0].startswith("-") and tokens[0] != "--from":
            tokens.pop(0)  # an option of the runner, e.g. `--no-deps`
        if tokens[:1] == ["--from"]:
            tokens.pop(0)
        if tokens:
            named.append(tokens[0])
    return named


def is_ours(name: str) -> bool:
    if name.startswith("<") or name in (".", "-e"):
        return True  # a placeholder such as <built wheel>, or this checkout
    if "/" in name or name.endswith((".whl", ".tar.gz")):
        file = name.rsplit("/", 1)[-1]
        return not file.endswith((".whl", ".tar.gz")) or file.startswith(WHEEL_PREFIX)
    return re.split(r"[\[=<>~@]", name, maxsplit=1)[0] == DISTRIBUTION


@pytest.mark.parametrize(
    "snippet",
    [
        "uvx astro-mcp",
        "pip install astro-mcp",
        "uv tool install astro-mcp==0.1.0",
        "claude mcp add --transport stdio astro -- uvx astro-mcp",
        '{"command": "uvx",\n "args": ["astro-mcp"]}',
        'command = "uvx"\nargs = ["astro-mcp"]',
        'StdioServerParameters(command="uvx", args=["astro-mcp"])',
        "uvx --from dist/astro_mcp-0.1.0-py3-none-any.whl astro-ai-mcp",
    ],
)
def test_a_snippet_naming_a_namesake_distribution_is_caught(snippet: str) -> None:
    assert not all(is_ours(n) for n in named_distributions(snippet))


@pytest.mark.parametrize(
    "snippet",
    [
        "uvx astro-ai-mcp",
        "uvx astro-ai-mcp@0.1.0 --version",
        'StdioTransport("uvx", ["astro-ai-mcp"])',
        "uvx --from dist/astro_ai_mcp-0.1.0-py3-none-any.whl astro-ai-mcp",
        "uvx --from <built wheel> astro-ai-mcp",
    ],
)
def test_a_snippet_naming_our_distribution_passes(snippet: str) -> None:
    named = named_distributions(snippet)
    assert named
    assert all(is_ours(n) for n in named)


def test_every_shipped_snippet_installs_or_runs_only_our_distribution() -> None:
    foreign = [
        (path.relative_to(REPO).as_posix(), name)
        for path in shipped()
        for snippet in snippets(path)
        for name in named_distributions(snippet)
        if not is_ours(name)
    ]
    assert foreign == []


def test_the_package_the_registry_and_the_bundle_all_say_our_distribution() -> None:
    with (REPO / "pyproject.toml").open("rb") as f:
        project = tomllib.load(f)["project"]
    assert project["name"] == DISTRIBUTION
    assert project["scripts"][DISTRIBUTION] == "astro_mcp.cli:main", "`uvx astro-ai-mcp` needs no --from"
    server = json.loads((REPO / "server.json").read_text(encoding="utf-8"))
    assert [p["identifier"] for p in server["packages"]] == [DISTRIBUTION]
    manifest = json.loads((REPO / "bundle" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["server"]["mcp_config"]["args"][-1] == DISTRIBUTION
    example = json.loads((REPO / "claude_desktop_config.example.json").read_text(encoding="utf-8"))
    assert example["mcpServers"]["astro"]["args"][-1] == DISTRIBUTION
