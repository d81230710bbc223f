"""Wire models of the newer servers' routes: deploys, alerts, events, restarts, one trace's steps, costs.

None of these are in the API reference; they follow the newest public server source and its CLI,
which disagree in places (`activeSince` or `active_since`, a bare list or a wrapped one): each model
takes both spellings, ignores what it does not know, and keeps at most `MAX_ITEMS` of any list.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import AliasChoices, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

MAX_ITEMS = 200  # of any list: a deployment's history, its alerts, its events, a trace's observations
MAX_DEPLOYMENTS = 10_000  # an account's deployments in its cost summary


def _first(items: Any, limit: int = MAX_ITEMS) -> Any:
    return items[:limit] if isinstance(items, list) else items


def _either(*names: str) -> Any:
    return Field(default=None, validation_alias=AliasChoices(*names))


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class _Listed(_Lenient):
    """A body that is a bare list, or an object holding it under one of a few keys."""

    wrapped_in: ClassVar[tuple[str, ...]] = ("items",)

    @model_validator(mode="before")
    @classmethod
    def _wrapped(cls, data: Any) -> Any:
        if isinstance(data, list):
            return {"items": data}
        if isinstance(data, dict):
            found: Any = next((data[k] for k in cls.wrapped_in if isinstance(data.get(k), list)), [])
            return {**data, "items": found}
        return data


class DeployRecord(_Lenient):
    """One revision of an agent's deployment."""

    id: str | None = None
    build_id: str | None = None
    status: str | None = None
    revision: int | None = None
    deployed_at: AwareDatetime | None = None
    undeployed_at: AwareDatetime | None = None
    rollback: bool | None = _either("rollback", "is_rollback")


class DeployHistory(_Listed):
    """`GET /agents/{account}/{name}/deployment/history`."""

    wrapped_in = ("deployments", "history", "items")
    items: Annotated[list[DeployRecord], BeforeValidator(_first)] = []


class Alert(_Lenient):
    name: str | None = None
    title: str | None = None
    severity: str | None = None  # warning | error
    state: str | None = None  # ok | pending | firing
    active_since: AwareDatetime | None = _either("activeSince", "active_since")


class Alerts(_Listed):
    """`GET /deployments/{id}/alerts`: a bare list in the server, `{alerts: [...]}` tolerated."""

    wrapped_in = ("alerts", "items")
    items: Annotated[list[Alert], BeforeValidator(_first)] = []


class InfraEvent(_Lenient):
    """A Kubernetes event with the platform's severity (info, transient, stuck) and guidance."""

    reason: str | None = None
    message: str | None = None
    severity: str | None = None
    guidance: str | None = None
    count: int | None = None
    at: AwareDatetime | None = _either("last_seen", "lastTimestamp", "last_timestamp", "timestamp", "first_seen")


class InfraEvents(_Listed):
    """`GET /deployments/{id}/events`."""

    wrapped_in = ("events", "items")
    items: Annotated[list[InfraEvent], BeforeValidator(_first)] = []


class Pod(_Lenient):
    name: str | None = None
    restarts: int | None = _either("restart_count", "restarts", "restartCount")
    last_termination: str | None = _either("last_termination_reason", "lastTerminationReason", "last_state_reason")


class Runtime(_Lenient):
    """`GET /deployments/{id}/runtime`: its pods and their restarts."""

    pods: Annotated[list[Pod], BeforeValidator(_first)] = []


class Usage(_Lenient):
    input: int | None = None
    output: int | None = None
    total: int | None = None


class Observation(_Lenient):
    """One step of a trace: a span, a generation (with model, tokens and cost) or an event."""

    id: str | None = None
    parent_observation_id: str | None = _either("parent_observation_id", "parentObservationId")
    name: str | None = None
    type: str | None = None
    model: str | None = None
    level: str | None = None  # DEFAULT | DEBUG | WARNING | ERROR
    status_message: str | None = _either("status_message", "statusMessage")
    start_time: AwareDatetime | None = _either("start_time", "startTime")
    end_time: AwareDatetime | None = _either("end_time", "endTime")
    usage: Usage | None = None
    cost: float | None = _either("cost", "calculated_total_cost", "total_cost")


class TraceDetail(_Lenient):
    """`GET /deployments/{id}/observability/traces/{traceId}`: the trace and its observations."""

    trace_id: str | None = _either("trace_id", "id")
    name: str | None = None
    timestamp: AwareDatetime | None = None
    latency_ms: float | None = None
    total_cost: float | None = _either("total_cost", "totalCost")
    input: Any = None
    output: Any = None
    observations: Annotated[list[Observation], BeforeValidator(_first)] = []


class CostTotals(_Lenient):
    cost_usd: float | None = None
    requests: int | None = None
    tokens: int | None = None
    active_agents: int | None = None


class CostChange(_Lenient):
    cost_pct: float | None = None
    requests_pct: float | None = None
    tokens_pct: float | None = None


class ModelCost(_Lenient):
    model: str | None = None
    cost_usd: float | None = _either("cost_usd", "cost")
    tokens: int | None = None
    requests: int | None = None


class AccountSummary(_Lenient):
    """`GET /accounts/{a}/observability/summary`: the account's totals and their change against the period before."""

    totals: CostTotals = CostTotals()
    change: CostChange = CostChange()
    cost_by_model: Annotated[list[ModelCost], BeforeValidator(_first)] = []
    metrics_unavailable: bool | None = None


class DeploymentCost(_Lenient):
    deployment_id: str | None = _either("deployment_id", "id")
    name: str | None = _either("name", "agent_name", "display_name")
    requests: int | None = None
    cost_usd: float | None = None
    cost_per_request: float | None = None
    top_model: str | None = None
    is_archived: bool | None = None


class DeploymentsSummary(_Listed):
    """`GET /accounts/{a}/observability/deployments-summary`: requests and cost per deployment."""

    wrapped_in = ("deployments", "items")
    items: Annotated[list[DeploymentCost], BeforeValidator(lambda v: _first(v, MAX_DEPLOYMENTS))] = []


class OpenApi(_Lenient):
    """The server's own OpenAPI document: only which paths it serves is read."""

    paths: dict[str, Any] = {}
    servers: list[dict[str, Any]] = []
