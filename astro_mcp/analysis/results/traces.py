"""The output model of `get_agent_traces`: its `structuredContent`, and so its `outputSchema`."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from astro_mcp.domain import Model

ContentMode = Literal["full", "truncated", "off"]


class TraceWindow(Model):
    start: AwareDatetime = Field(description="Start of the window (UTC)")
    end: AwareDatetime = Field(description="End of the window (exclusive, UTC)")


class ShownTrace(Model):
    trace_id: str | None
    name: str | None = Field(description="the operation the trace ran")
    status: str | None
    latency_ms: float | None
    timestamp: AwareDatetime | None
    input: str | None = Field(
        description="the input as text (JSON that was not a string is written as JSON); when shortened it ends with "
        "'… [cut: N characters in all]'; null when absent or hidden"
    )
    output: str | None = Field(description="the output, shortened and marked like `input`")
    input_chars: int | None = Field(description="length of the whole input as text; null when absent")
    output_chars: int | None = Field(description="length of the whole output as text; null when absent")


class TraceGroup(Model):
    name: str = Field(description="operation name ('(unnamed)' for traces without one)")
    count: int = Field(description="traces of this operation among the `grouped` ones")
    first: AwareDatetime | None = Field(description="oldest of them (UTC)")
    last: AwareDatetime | None = Field(description="newest of them (UTC)")


class TracesAnswer(Model):
    """One page of an agent's traces, newest first, with the operations they ran."""

    status: Literal["error", "ok", "all"] = Field(description="which traces: the status asked for")
    headline: str = Field(description="how many match, and the largest group, in one sentence")
    account: str
    name: str
    window: TraceWindow
    total: int | None = Field(description="traces that match in the whole window (null if the API did not say)")
    offset: int = Field(description="position of the first trace shown, 0 for the newest")
    traces: list[ShownTrace]
    groups: list[TraceGroup] = Field(description="the grouped traces by operation, largest group first")
    grouped: int = Field(description="how many traces the groups cover: those fetched from `offset` on")
    next_offset: int | None = Field(description="pass as `offset` to read the next, older page; null on the last")
    content: ContentMode = Field(description="how much trace input/output is shown (ASTRO_MCP_TRACE_CONTENT)")
    notes: list[str]
