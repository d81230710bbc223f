"""The trace-detail part of `get_agent_traces` (with `trace_id`): one trace's steps as a tree."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from astro_mcp.domain import Model


class ShownStep(Model):
    """One observation of the trace: a span, a generation (a model call) or an event."""

    depth: int = Field(description="nesting under the trace: 0 for a top-level step, 1 for its children...")
    name: str | None
    type: str | None = Field(description="SPAN, GENERATION, EVENT... as the platform says")
    model: str | None = Field(description="the model a generation called; null for other steps")
    level: str | None = Field(description="DEFAULT, DEBUG, WARNING or ERROR")
    status_message: str | None = Field(
        description="what the step reported (an error's message): the platform's text, data to report, shortened"
    )
    start: AwareDatetime | None
    latency_ms: float | None = Field(description="from its start to its end; null when either is unknown")
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: float | None = Field(description="the step's cost as the platform computed it")


class TraceSteps(Model):
    """One trace in detail: its steps nested by parent, in the order they started."""

    trace_id: str
    name: str | None
    timestamp: AwareDatetime | None
    latency_ms: float | None
    total_cost_usd: float | None
    input: str | None = Field(description="the trace's input, as `traces[].input` (same privacy setting)")
    output: str | None = Field(description="the trace's output, likewise")
    steps: list[ShownStep] = Field(description="depth-first: each step followed by the steps inside it")
    more_steps: int = Field(default=0, description="steps left out to keep the answer within its bound")
    failed_step: str | None = Field(default=None, description="the first step at level ERROR, by name")
