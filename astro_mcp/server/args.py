"""The argument types every tool shares: one type is both the published schema and the description a model reads.

The checks themselves run in `analysis` (with messages a model can act on); the schema's pattern is
published so that clients can check before they call.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from astro_mcp.domain import SLUG_PATTERN


def _slug(description: str, example: str) -> Any:
    # The pattern is published for clients; query.check_slug enforces it with a message a model can act on.
    return Field(
        description=description, examples=[example], json_schema_extra={"pattern": SLUG_PATTERN, "maxLength": 64}
    )


Account = Annotated[
    str,
    _slug(
        "Account slug of the agent's owner on Astro AI, e.g. 'astro-team' (lowercase, digits, '-', '_').", "astro-team"
    ),
]
AgentName = Annotated[str, _slug("The agent's name within the account, e.g. 'weather-agent'.", "weather-agent")]
StartTime = Annotated[
    str | None,
    Field(
        description="Start of the window. RFC 3339 ('2026-11-24T09:00:00Z' or with an offset; without an offset "
        "it is UTC), 'now', a relative time ('now-15m', 'now-6h', 'now-7d', 'now-2w'), or a duration before "
        "end_time ('24h', '7d'). Default: 24 hours before end_time.",
        examples=["now-24h", "7d", "2026-11-24T09:00:00Z"],
    ),
]
EndTime = Annotated[
    str | None,
    Field(
        description="End of the window: RFC 3339, 'now' or a relative time such as 'now-1h'. Default: now.",
        examples=["now", "now-1d", "2026-11-25T00:00:00Z"],
    ),
]
Interval = Annotated[
    int | str | None,
    Field(
        description="Bucket size in minutes: 60, '15m', '1h' or '1d'. Default: a round size giving at most "
        "about 36 buckets (60 for a 24-hour window), and hourly buckets up to 8 days.",
        examples=[60, "15m", "1h"],
    ),
]
Compare = Annotated[
    Literal["previous", "week", "none"],
    Field(
        description="What to compare the window with: 'previous' (the same length just before it), 'week' "
        "(the same window a week earlier) or 'none'. Fetched at the same time as the window."
    ),
]
