"""The argument types every tool shares: what each publishes, and what the server accepts.

What a type publishes is written out (`WithJsonSchema`) so that every client's converter reads it the
same way: one JSON type per argument, `null` beside it where the argument is optional, no `default`
keyword (OpenAI's strict mode refuses one that is not null: the default is in the description, and null
means it), no `examples` or `title` keyword (Google's converter refuses `examples`; no model reads
`title`). An optional argument publishes `["<type>", "null"]`: strict mode makes every argument
required, and smolagents too, so a model says "the default" with null.

What the server accepts is wider than what it publishes: a number where the schema says string (models
send `interval=60`), null for any optional argument. The checks run in `query` with messages a model can
act on; `explain_invalid` says a type refusal the same way, with the argument's `Example`.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, StrictFloat, StrictInt, StrictStr, ValidationError, WithJsonSchema
from pydantic_core import ErrorDetails

from astro_mcp import domain
from astro_mcp.analysis.ordering import SORTS
from astro_mcp.analysis.results.overview import Sort
from astro_mcp.query.slugs import SLUG_PATTERN


@dataclass(frozen=True)
class Example:
    """The value a refusal of this argument suggests (kept out of the published schema)."""

    value: object


def _published(kind: str, description: str, *, optional: bool = True, **keywords: Any) -> WithJsonSchema:
    kinds: str | list[str] = [kind, "null"] if optional else kind
    return WithJsonSchema({"type": kinds, "description": description, **keywords})


def _or_default(default: object) -> BeforeValidator:
    """Null, from a client that must send every argument, means the default."""
    return BeforeValidator(lambda value: default if value is None else value)


Account = Annotated[
    StrictStr,
    _published(
        "string",
        "Account slug of the agent's owner on Astro AI, e.g. 'astro-team'.",
        optional=False,
        pattern=SLUG_PATTERN,
    ),
    Example("astro-team"),
]
AnyAccount = Annotated[
    StrictStr | None,
    _published(
        "string",
        "Only this account (slug, e.g. 'astro-team'). Default (null): every account of the user.",
        pattern=SLUG_PATTERN,
    ),
    Example("astro-team"),
]
AgentName = Annotated[
    StrictStr,
    _published(
        "string",
        "The agent's name within the account, e.g. 'weather-agent'.",
        optional=False,
        pattern=SLUG_PATTERN,
    ),
    Example("weather-agent"),
]
# A time is a string in any form `query.times` reads (it checks them, with advice), or epoch seconds.
Time = StrictStr | StrictFloat | None
StartTime = Annotated[
    Time,
    _published(
        "string",
        "Start of the window: RFC 3339 ('2026-11-24T09:00:00Z'; UTC without an offset), 'now-7d', '2 hours ago', "
        "'yesterday', epoch seconds ('1764000000'), or a duration before end_time ('24h'). Default (null): 24 "
        "hours before end_time.",
    ),
    Example("now-24h"),
]
EndTime = Annotated[
    Time,
    _published(
        "string",
        "End of the window: as start_time, but not a duration ('now', 'now-1h'). Default (null): now.",
    ),
    Example("now"),
]
Interval = Annotated[
    StrictInt | StrictStr | None,
    _published(
        "string",
        "Bucket size: minutes ('60'), or '15m', '1h', '1d', 'daily'. Default (null): a round size "
        "giving at most about 36 buckets (60 minutes for 24 hours).",
    ),
    Example("1h"),
]
Compare = Annotated[
    Literal["previous", "week", "none"],
    _or_default("previous"),
    _published(
        "string",
        "What to compare the window with: 'previous' (the same length just before it), 'week' (the same "
        "window a week earlier) or 'none' (the window alone, in one request, judged on itself). Default (null): "
        "'previous'.",
        enum=["previous", "week", "none", None],
    ),
    Example("week"),
]
TraceStatus = Annotated[
    domain.TraceStatus,
    _or_default("error"),
    _published(
        "string",
        "Which traces: 'error' (what failed), 'ok', or 'all'. Default (null): 'error'.",
        enum=["error", "ok", "all", None],
    ),
    Example("all"),
]
TraceOrder = Annotated[
    domain.TraceOrder,
    _or_default("newest"),
    _published(
        "string",
        "Which traces first: 'newest'; 'slowest' (of those fetched across the window: for a latency incident); "
        "'spread' (sampled across the whole window: for an incident that lasted). Default (null): 'newest'.",
        enum=["newest", "slowest", "spread", None],
    ),
    Example("slowest"),
]
TraceLimit = Annotated[
    StrictInt,
    Field(ge=1, le=50),
    _or_default(10),
    _published("integer", "How many traces to show, newest first: 1 to 50. Default (null): 10.", minimum=1, maximum=50),
    Example(10),
]
TraceOffset = Annotated[
    StrictInt,
    Field(ge=0, le=1_000_000),
    _or_default(0),
    _published(
        "integer",
        "Traces to skip: 0 for the newest; a previous answer's next_offset for the next page. Default (null): 0.",
        minimum=0,
        maximum=1_000_000,
    ),
    Example(20),
]
TraceId = Annotated[
    StrictStr | None,
    _published(
        "string",
        "A listed trace's trace_id: its steps. Default (null): a list.",
    ),
    Example("01c8a4fa00004e56b06bcdb7f3820d37"),
]

OverviewSort = Annotated[
    Sort | None,
    _published(
        "string",
        "Row order, highest first. Default (null): 'attention', worst first.",
        enum=[*SORTS, None],
    ),
    Example("cost"),
]

Cursor = Annotated[
    StrictStr | None,
    _published("string", "The previous answer's next_cursor. Default (null): the first page."),
    Example("<next_cursor>"),
]

_BOUNDS = ("less_than_equal", "greater_than_equal", "less_than", "greater_than")
_EXPECTED = {"string": "a string", "integer": "a whole number", "number": "a number", "boolean": "true or false"}


def explain_invalid(err: ValidationError, schema: dict[str, Any], examples: Mapping[str, object]) -> str:
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
        fix = f" Example: {name}={examples[name]!r}." if name in examples else ""
        what = spec.get("description", "")
        if problem["type"] == "missing":
            lines.append(f"{name} is missing: it is required. {what}{fix}")
            continue
        sent = json.dumps(problem.get("input"), default=str)
        sent = sent if len(sent) <= 60 else sent[:60] + "..."
        lines.append(f"{name}={sent} {_refusal(problem, spec)} {what}{fix}")
    return " ".join(lines)


def _refusal(problem: ErrorDetails, spec: dict[str, Any]) -> str:
    """Why a value was refused: not one of the accepted values, out of range, or of the wrong type; with the
    accepted values and the nearest one where there are such."""
    sent = problem.get("input")
    accepted = [str(v) for v in spec.get("enum", []) if v is not None]
    if problem["type"] in ("literal_error", "enum") and accepted:
        nearest = difflib.get_close_matches(str(sent), accepted, n=1, cutoff=0.5)
        near = f" The nearest is {nearest[0]!r}." if nearest else ""
        return f"is not one of the accepted values: {', '.join(map(repr, accepted))}.{near}"
    published = spec.get("type", [])
    kinds = [k for k in ([published] if isinstance(published, str) else published) if k != "null"]
    expected = " or ".join(_EXPECTED.get(str(k), str(k)) for k in kinds) or "another value"
    if problem["type"] in _BOUNDS and isinstance(sent, int | float):
        bound = problem.get("ctx", {})
        low, high = spec.get("minimum", bound.get("ge")), spec.get("maximum", bound.get("le"))
        span = f"from {low} to {high}" if low is not None and high is not None else f"at most {high}"
        span = span if high is not None else f"at least {low}"
        closest = high if high is not None and sent > high else low
        return f"is out of range: send {expected} {span}. The nearest accepted is {closest}."
    return f"is not accepted: send {expected}."


def examples_of(metadata: Mapping[str, list[Any]]) -> dict[str, object]:
    """Each argument's `Example`, from its type's metadata (argument name -> the metadata pydantic kept)."""
    return {name: m.value for name, kept in metadata.items() for m in kept if isinstance(m, Example)}
