"""The time range every result states: UTC, its end exclusive."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from astro_mcp.domain import Model


class Span(Model):
    start: AwareDatetime = Field(description="UTC")
    end: AwareDatetime = Field(description="UTC, exclusive")
