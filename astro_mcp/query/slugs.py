"""Account slugs and agent names as a model sends them: trimmed, checked, and a correction suggested."""

from __future__ import annotations

import re

from astro_mcp.domain import AgentRef
from astro_mcp.errors import QueryError

SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
_SLUG = re.compile(SLUG_PATTERN)


def check_slug(field_name: str, value: str) -> str:
    """Return `value`, trimmed, if it is a plain slug.

    Raises:
        QueryError: it is not; the message suggests a corrected slug where one is obvious.
    """
    trimmed = value.strip()
    if _SLUG.fullmatch(trimmed):
        return trimmed
    shown = repr(value) if len(value) <= 80 else repr(value[:80]) + "..."
    kind = "account slug" if field_name == "account" else "agent name"
    message = (
        f"{field_name}={shown} is not a valid Astro {kind}: use 1-64 characters of lowercase letters, digits, "
        "'-' and '_', starting with a letter or digit (for example 'astro-team' or 'weather-agent')."
    )
    suggestion = re.sub(r"[\s.]+", "-", trimmed.lower())
    if suggestion != value and _SLUG.fullmatch(suggestion):
        message += f" Did you mean {field_name}='{suggestion}'?"
    raise QueryError(message)


def checked_agent(account: str, name: str) -> AgentRef:
    """The agent named by two slugs.

    Raises:
        QueryError: either slug is refused (the message says which and how to fix it).
    """
    head, slash, tail = name.strip().partition("/")
    if slash and _SLUG.fullmatch(head.strip()) and _SLUG.fullmatch(tail.strip()):
        raise QueryError(_split_hint(head.strip(), tail.strip(), name))
    return AgentRef(check_slug("account", account), check_slug("name", name))


def _split_hint(account: str, agent: str, name: str) -> str:
    return f"name={name!r} holds both the account and the agent: split it, account='{account}', name='{agent}'."


TRACE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
_TRACE_ID = re.compile(TRACE_ID_PATTERN)


def check_trace_id(value: str | None) -> str | None:
    """`value`, trimmed, if it can be a trace's id (None: no trace asked for).

    Raises:
        QueryError: it cannot; the message says where a real id comes from.
    """
    if value is None:
        return None
    trimmed = value.strip()
    if _TRACE_ID.fullmatch(trimmed):
        return trimmed
    shown = repr(value) if len(value) <= 80 else repr(value[:80]) + "..."
    raise QueryError(
        f"trace_id={shown} is not a trace id: ids are 1-128 letters, digits, '.', '_', ':' or '-', such as "
        "'01c8a4fa00004e56b06bcdb7f3820d37'. Copy the trace_id of a trace listed by get_agent_traces (call it "
        "without trace_id first), or leave trace_id null to list traces."
    )
