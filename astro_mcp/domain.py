"""Checked values shared by every layer: an agent, a resolved metrics query, a bucket of the series.

A value of these types has passed its checks once, where it was made; nothing downstream checks it
again. `rfc3339` is the one machine form of a time (what the API is sent and what results carry).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue
from typing_extensions import TypedDict

LIVE = timedelta(minutes=5)  # traces this recent may not be ingested yet

# Bounds of plausibility rather than of the contract: a trillion traces in one bucket, or a mean latency
# of almost three hours, is a broken upstream; refusing it here keeps every sum and ratio finite.
MAX_COUNT = 10**12
MAX_LATENCY_MS = 1e7
Count = Annotated[int, Field(ge=0, le=MAX_COUNT, strict=True)]


class Model(BaseModel):
    """A pydantic model whose validator is built when it is first used, not when its module is imported: a
    server that starts builds none of the models its first call does not need."""

    model_config = ConfigDict(defer_build=True)


class Received(Model):
    """A model of what another party sends: fields we do not know are dropped."""

    model_config = ConfigDict(defer_build=True, extra="ignore")


class Bucket(TypedDict):
    """One bucket of the metrics series as the API sends it; buckets with no traces are left out.

    A `TypedDict` rather than a model: a 30-day window at 1-minute buckets has 43,200 of them, and
    pydantic validates typed dicts from JSON about three times faster than model instances.
    """

    timestamp: AwareDatetime
    trace_count: Count
    avg_latency_ms: Annotated[float, Field(ge=0, le=MAX_LATENCY_MS, allow_inf_nan=False)]
    input_tokens: Count
    output_tokens: Count
    error_count: Count


def rfc3339(moment: datetime) -> str:
    """UTC, whole seconds, with a `Z`: the form the API is always sent."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class AgentRef:
    """An agent, by account slug and name, both checked (`query.slugs.checked_agent` makes them)."""

    account: str
    name: str

    def __str__(self) -> str:
        return f"{self.account}/{self.name}"


@dataclass(frozen=True, slots=True)
class MetricsQuery:
    """A resolved, checked query: UTC, minute-aligned, ready for the API. Hashable: a cache key.

    `live` says whether the window ends so recently (within `LIVE` of the clock reading it was resolved
    with) that its data may still be arriving.
    """

    agent: AgentRef
    start: datetime
    end: datetime
    interval_minutes: int
    live: bool = field(default=False, compare=False)
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def account(self) -> str:
        return self.agent.account

    @property
    def name(self) -> str:
        return self.agent.name


TraceStatus = Literal["error", "ok", "all"]
TraceOrder = Literal["newest", "slowest", "spread"]


class Trace(Received):
    """One trace as the traces endpoint sends it. Any field may be null; `input`/`output` may be any JSON.

    The per-deployment route adds `total_cost` (USD), and marks an error by `level` or `status_message`
    where its `status` is a placeholder.
    """

    trace_id: str | None = None
    name: str | None = None
    status: str | None = None
    latency_ms: float | None = None
    input: JsonValue = None
    output: JsonValue = None
    timestamp: AwareDatetime | None = None
    total_cost: float | None = None
    level: str | None = None
    status_message: str | None = None

    @property
    def failed(self) -> bool:
        """Whether the trace is an error, by its status or, where that is a placeholder, its level or message."""
        return self.status == "error" or (self.level or "").upper() == "ERROR" or bool(self.status_message)


@dataclass(frozen=True, slots=True)
class TracesQuery:
    """A checked traces query: the window resolved like a metrics query's, a status, and a page."""

    agent: AgentRef
    start: datetime
    end: datetime
    status: TraceStatus
    limit: int
    offset: int
    notes: tuple[str, ...] = field(default=(), compare=False)
    order: TraceOrder = "newest"
    trace_id: str | None = None  # one trace in detail (its steps) instead of a page
