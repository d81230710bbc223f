"""The docs a user reads: a short README whose tools table is what the server lists, and links that lead somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scripts.readme_tools import first_sentence, listed_tools, with_table

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
LINK = re.compile(r"\]\(((?!https?://)[^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.anyio
async def test_the_readme_tools_table_is_what_tools_list_says() -> None:
    tools = await listed_tools()
    assert with_table(README, tools) == README, "run: uv run python scripts/readme_tools.py"
    for tool in tools:
        assert f"`{tool['name']}(" in README
        assert first_sentence(tool["description"]) in README


@pytest.mark.anyio
async def test_a_changed_description_makes_the_readme_table_stale() -> None:
    tools = await listed_tools()
    tools[0]["description"] = "Something else entirely. " + tools[0]["description"]
    assert with_table(README, tools) != README


def test_the_first_sentence_is_cut_at_the_first_full_stop_that_ends_a_sentence() -> None:
    assert first_sentence('Start here for "how?". Then more.') == 'Start here for "how?".'
    assert first_sentence("Read v1.2 traces, newest first.\n\nMore.") == "Read v1.2 traces, newest first."


def test_the_readme_stays_a_front_door_of_at_most_300_lines() -> None:
    assert len(README.splitlines()) <= 300


@pytest.mark.parametrize("doc", [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))], ids=lambda p: p.name)
def test_every_relative_link_in_the_docs_leads_to_a_file(doc: Path) -> None:
    missing = [target for target in LINK.findall(doc.read_text(encoding="utf-8")) if not (doc.parent / target).exists()]
    assert missing == []
