"""Write the README's tools table from what the server answers to tools/list, so it cannot drift.

    uv run python scripts/readme_tools.py           # rewrite the table between its two markers
    uv run python scripts/readme_tools.py --check   # exit 1 if the table is not what the server says

Each row is a tool's signature (its arguments, `?` when optional) and the first sentence of its
description, the sentence a model reads first.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

from astro_mcp.config import Settings
from astro_mcp.server import create_server

README = Path(__file__).resolve().parent.parent / "README.md"
START = "<!-- tools table: made by scripts/readme_tools.py from tools/list -->"
END = "<!-- end of tools table -->"
SENTENCE = re.compile(r"(.+?[.!?])(?=\s|$)", re.DOTALL)


async def listed_tools() -> list[dict[str, Any]]:
    """tools/list, as a client sees it; listing needs no network and no sign-in."""
    async with Client(create_server(Settings.from_env({}))) as client:
        return [t.model_dump() for t in (await client.list_tools()).tools]


def first_sentence(description: str) -> str:
    found = SENTENCE.match(" ".join(description.split()))
    return found[1] if found else description.strip()


def signature(tool: dict[str, Any]) -> str:
    schema = tool["input_schema"]
    required = set(schema.get("required", []))
    names = [n if n in required else f"{n}?" for n in schema.get("properties", {})]
    return f"`{tool['name']}({', '.join(names)})`"


def table(tools: list[dict[str, Any]]) -> str:
    rows = [f"| {signature(t)} | {first_sentence(t['description'] or '')} |" for t in tools]
    return "\n".join(["| tool | what it answers |", "| --- | --- |", *rows])


def with_table(readme: str, tools: list[dict[str, Any]]) -> str:
    """The README with the text between the markers replaced by the table."""
    head, start, rest = readme.partition(START)
    _, end, tail = rest.partition(END)
    if not (start and end):
        raise SystemExit(f"README.md lacks the markers {START!r} and {END!r}")
    return f"{head}{START}\n{table(tools)}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail if the README's table is stale; change nothing")
    args = parser.parse_args(argv)
    readme = README.read_text(encoding="utf-8")
    current = with_table(readme, anyio.run(listed_tools))
    if args.check:
        if current != readme:
            sys.stderr.write("README.md's tools table is stale: run uv run python scripts/readme_tools.py\n")
            return 1
        return 0
    README.write_text(current, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
