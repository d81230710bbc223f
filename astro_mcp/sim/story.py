"""What the platform knows about each simulated agent besides its traces: deploys, alerts, Kubernetes events,
restarts, the model it calls and the step that fails during its incident.

Times are offsets from the simulator's anchor, like the incidents in `sim.data`, so they line up:
checkout-agent's build `7f3c9a1` goes out 2 minutes before its incident and an alert fires 6 minutes
into it; support-bot's bad build is rolled back when its spike ends; billing-agent is OOMKilled into a
crash loop when its errors begin. Agents without a story have one quiet deployment and no alerts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta


@dataclass(frozen=True)
class Deploy:
    """One revision of an agent's deployment, from `at` (offset from the anchor) until the next one."""

    at: timedelta
    build_id: str
    rollback: bool = False


@dataclass(frozen=True)
class Alert:
    name: str
    title: str
    severity: str  # warning | error
    state: str  # ok | pending | firing
    since: timedelta | None


@dataclass(frozen=True)
class Event:
    """A Kubernetes event as the platform reports it: its reason, message, severity and guidance."""

    at: timedelta
    reason: str
    message: str
    severity: str  # info | transient | stuck
    guidance: str
    count: int = 1


@dataclass(frozen=True)
class Step:
    """The step that fails in most of an error incident's errors: its observation and its message."""

    name: str
    type: str
    message: str
    operation: str  # the trace's name when this step fails


@dataclass(frozen=True)
class Story:
    model: str
    deploys: tuple[Deploy, ...] = (Deploy(timedelta(days=-30), "build-1"),)
    alerts: tuple[Alert, ...] = ()
    events: tuple[Event, ...] = ()
    restarts: int = 0
    last_termination: str | None = None
    failing: Step = field(
        default_factory=lambda: Step(
            "lookup_order",
            "SPAN",
            "TimeoutError: the order service did not answer before the deadline (3 attempts)",
            "lookup_order",
        )
    )


# USD per million tokens, (input, output): the simulator's price list.
PRICES: dict[str, tuple[float, float]] = {
    "claude-sonnet-4-5": (3.0, 15.0),
    "claude-haiku-4-5": (1.0, 5.0),
    "gpt-4o-mini": (0.15, 0.6),
}
_MINUTE = timedelta(minutes=1)
_OOM_GUIDANCE = (
    "The container exceeded its memory limit and was killed. Raise resources.limits.memory in the agent's "
    "deployment spec, or find what grew: a leak or an unbounded cache."
)
_BACKOFF_GUIDANCE = (
    "The container keeps exiting after it starts. Read the previous container's logs "
    "(ast logs --previous) for the cause; Kubernetes waits longer between each restart."
)

STORIES: dict[tuple[str, str], Story] = {
    ("astro-team", "checkout-agent"): Story(
        "claude-sonnet-4-5",
        deploys=(
            Deploy(timedelta(days=-12), "build-5e21b0c"),
            Deploy(timedelta(hours=-10) - 2 * _MINUTE, "build-7f3c9a1"),
        ),
        alerts=(
            Alert(
                "CheckoutErrorRate",
                "checkout-agent error rate above 2%",
                "error",
                "firing",
                timedelta(hours=-10) + 6 * _MINUTE,
            ),
            Alert(
                "CheckoutLatencyP95",
                "checkout-agent p95 latency above 1 s",
                "warning",
                "firing",
                timedelta(hours=-10) + 9 * _MINUTE,
            ),
            Alert("CheckoutBudget", "checkout-agent daily cost above $50", "warning", "ok", None),
        ),
        failing=Step(
            "price_lookup",
            "SPAN",
            "TimeoutError: pricing service did not answer within 5 s (GET /v2/prices)",
            "checkout",
        ),
    ),
    ("astro-team", "support-bot"): Story(
        "gpt-4o-mini",
        deploys=(
            Deploy(timedelta(days=-20), "build-9d0e114"),
            Deploy(timedelta(hours=-6) - 3 * _MINUTE, "build-a1b2c3d"),
            Deploy(timedelta(hours=-5), "build-9d0e114", rollback=True),
        ),
        alerts=(Alert("SupportErrorRate", "support-bot error rate above 5%", "error", "ok", None),),
    ),
    ("astro-team", "billing-agent"): Story(
        "claude-haiku-4-5",
        deploys=(Deploy(timedelta(days=-6), "build-b7713e0"),),
        alerts=(
            Alert(
                "PodRestarting", "billing-agent pods restarting", "warning", "firing", timedelta(hours=-3) + 5 * _MINUTE
            ),
        ),
        events=(
            Event(
                timedelta(hours=-3) + _MINUTE,
                "OOMKilled",
                "Container billing-agent in pod billing-agent-6d5f-x2k9 was OOMKilled (limit 512Mi)",
                "stuck",
                _OOM_GUIDANCE,
                count=14,
            ),
            Event(
                timedelta(hours=-3) + 4 * _MINUTE,
                "CrashLoopBackOff",
                "Back-off restarting failed container billing-agent in pod billing-agent-6d5f-x2k9",
                "stuck",
                _BACKOFF_GUIDANCE,
                count=31,
            ),
            Event(timedelta(days=-6), "Scheduled", "Successfully assigned billing-agent-6d5f-x2k9", "info", ""),
        ),
        restarts=14,
        last_termination="OOMKilled",
        failing=Step(
            "charge_card",
            "SPAN",
            "ConnectionResetError: the agent's container was restarted mid-request",
            "charge_card",
        ),
    ),
}


def story_of(account: str, name: str) -> Story:
    """The agent's story, or a quiet one on a model picked from its name."""
    found = STORIES.get((account, name))
    if found is not None:
        return found
    models = sorted(PRICES)
    return Story(models[sum(map(ord, f"{account}/{name}")) % len(models)])


def cost_usd(model: str, input_tokens: float, output_tokens: float) -> float:
    """What `model` charges for these tokens, in USD."""
    price_in, price_out = PRICES[model]
    return (input_tokens * price_in + output_tokens * price_out) / 1_000_000
