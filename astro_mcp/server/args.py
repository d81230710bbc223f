"""The argument types every tool shares: one type is both the published schema and the description a model reads.

The checks themselves run in `analysis` (with messages a model can act on); the schema's pattern is
published so that clients can check before they call.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import Field, StrictFloat, StrictInt, StrictStr, ValidationError

from astro_mcp.query.slugs import SLUG_PATTERN


def _slug(description: str, example: str) -> Any:
    # The pattern is published for clients; query.slugs.check_slug enforces it with a message a model can act on.
    return Field(
        description=description,
        examples=[example],
        json_schema_extra={"pattern": SLUG_PATTERN, "maxLength": 64},
    )


Account = Annotated[
    StrictStr,
    _slug(
        "Account slug of the agent's owner on Astro AI, e.g. 'astro-team' (lowercase, digits, '-', '_').", "astro-team"
    ),
]
AnyAccount = Annotated[
    StrictStr | None,
    _slug("Only this account (slug, e.g. 'astro-team'). Default: every account of the signed-in user.", "astro-team"),
]
AgentName = Annotated[StrictStr, _slug("The agent's name within the account, e.g. 'weather-agent'.", "weather-agent")]
StartTime = Annotated[
    StrictStr | StrictFloat | None,
    Field(
        description="Start of the window. RFC 3339 ('2026-11-24T09:00:00Z' or with an offset; without an offset "
        "it is UTC), 'now', a relative time ('now-6h', 'now-7d', '-24h', '2 hours ago'), 'today' or 'yesterday' "
        "(midnight UTC), epoch seconds, or a duration before end_time ('24h', '7d', 'P1D'). "
        "Default: 24 hours before end_time.",
        examples=["now-24h", "7d", "2026-11-24T09:00:00Z"],
    ),
]
EndTime = Annotated[
    StrictStr | StrictFloat | None,
    Field(
        description="End of the window: RFC 3339, 'now', a relative time such as 'now-1h', 'today', or epoch "
        "seconds. Default: now.",
        examples=["now", "now-1d", "2026-11-25T00:00:00Z"],
    ),
]
Interval = Annotated[
    StrictInt | StrictStr | None,
    Field(
        description="Bucket size in minutes: 60, '15m', '1h', '1d', 'hourly' or 'daily'. Default: a round size "
        "giving at most about 36 buckets (5 for 1 hour, 60 for 24 hours), and hourly buckets from there up to 8 days.",
        examples=[60, "15m", "1h"],
    ),
]

_EXPECTED = {"string": "a string", "integer": "a whole number", "number": "a number", "boolean": "true or false"}


def explain_invalid(err: ValidationError, schema: dict[str, Any]) -> str:
    """Pydantic's refusal of a tool's arguments, said the way the rest of our refusals are: per argument,
    what was sent, what is expected, and an example."""
    properties: dict[str, Any] = schema.get("properties", {})
    lines = []
    seen: set[str] = set()
    for problem in err.errors(include_url=False):
        name = str(problem["loc"][0]) if problem["loc"] else "arguments"
        if name in seen:  # a union reports each of its branches: one line per argument is enough
            continue
        seen.add(name)
        spec = properties.get(name, {})
        example = next(iter(spec.get("examples", [])), None)
        fix = f" Example: {name}={example!r}." if example is not None else ""
        what = spec.get("description", "")
        if problem["type"] == "missing":
            lines.append(f"{name} is missing: it is required. {what}{fix}")
            continue
        kinds = [b.get("type") for b in spec.get("anyOf", [spec]) if b.get("type") not in (None, "null")]
        expected = " or ".join(_EXPECTED.get(str(k), str(k)) for k in kinds) or "another value"
        sent = json.dumps(problem.get("input"), default=str)
        sent = sent if len(sent) <= 60 else sent[:60] + "..."
        lines.append(f"{name}={sent} is not accepted: send {expected}. {what}{fix}")
    return " ".join(lines)


TraceStatusArg = Annotated[
    Literal["error", "ok", "all"],
    Field(description="Which traces: 'error' (the default: what failed), 'ok', or 'all'."),
]
TraceOrderArg = Annotated[
    Literal["newest", "slowest", "spread"],
    Field(
        description="Which traces first: 'newest' (the default); 'slowest' (the slowest of those fetched across the "
        "window: for a latency incident); 'spread' (sampled across the whole window, not only its newest minutes: "
        "for an incident that lasted)."
    ),
]
TraceLimit = Annotated[
    int, Field(ge=1, le=50, description="How many traces to show, newest first: 1 to 50. Default 10.")
]
TraceOffset = Annotated[
    int,
    Field(
        ge=0,
        le=1_000_000,
        description="How many of the newest matching traces to skip: 0 for the newest; a previous answer's "
        "next_offset for the next page.",
    ),
]
Compare = Annotated[
    Literal["previous", "week", "none"],
    Field(
        description="What to compare the window with: 'previous' (the same length just before it), 'week' "
        "(the same window a week earlier) or 'none'. Fetched at the same time as the window."
    ),
]
