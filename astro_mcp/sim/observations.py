"""One trace in detail, as the per-deployment trace route sends it: its observations (steps) and their cost.

Every trace is a root span holding three steps: `plan` and `compose_answer` (generations on the agent's
model, sharing the trace's tokens and cost 40/60) and the agent's own step (its story's, e.g.
`price_lookup`), which carries level ERROR and the failure's message when the trace failed there. A
trace that failed for another reason fails in `compose_answer`. The observations' costs add up to the
trace's `total_cost`, an equal share of its minute's tokens at the model's price.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from astro_mcp.sim.data import DAY
from astro_mcp.sim.population import AgentView, Skeleton, minute_skeletons
from astro_mcp.sim.story import cost_usd
from astro_mcp.sim.traces import error_message, trace_id, trace_json

_PLAN_SHARE = 0.4


def find(view: AgentView, raw_id: str) -> Skeleton | None:
    """The trace a `trace_id` names, if it is one of this agent's."""
    try:
        minute, index = int(raw_id[:8], 16), int(raw_id[8:12], 16)
    except ValueError:
        return None
    found = [s for s in minute_skeletons(view, minute) if s.index == index]
    return found[0] if found and trace_id(view, found[0]) == raw_id else None


def trace_cost(view: AgentView, skeleton: Skeleton) -> tuple[float, float, float]:
    """(USD, input tokens, output tokens) of one trace: an equal share of its minute's."""
    day, offset = divmod(skeleton.minute, DAY)
    series = view.series_of(day)
    count = series.traces[offset]
    tokens_in, tokens_out = series.input_tokens[offset] / count, series.output_tokens[offset] / count
    return cost_usd(view.story.model, tokens_in, tokens_out), tokens_in, tokens_out


def row_json(view: AgentView, skeleton: Skeleton) -> dict[str, Any]:
    """A row of the per-deployment trace list: the documented fields, its cost, and no status of its own."""
    row = trace_json(view, skeleton)
    cost, _, _ = trace_cost(view, skeleton)
    message = error_message(view, skeleton) if skeleton.error else None
    return row | {
        "status": "",  # a placeholder in this server version: errors show in level and status_message
        "level": "ERROR" if message else "DEFAULT",
        "status_message": message,
        "total_cost": round(cost, 6),
        "user_id": f"user-{skeleton.index % 7}",
    }


def detail_json(view: AgentView, skeleton: Skeleton) -> dict[str, Any]:
    """The trace with its observations and scores."""
    row = row_json(view, skeleton)
    cost, tokens_in, tokens_out = trace_cost(view, skeleton)
    start = datetime.fromtimestamp(skeleton.minute * 60 + skeleton.second, UTC)
    latency = skeleton.latency_ms
    step = view.story.failing
    message = row["status_message"]
    fails_in_step = message is not None and message == step.message
    root_id = row["trace_id"][:16]

    def observation(
        suffix: str, name: str, kind: str, span: tuple[float, float], share: float, failed: str | None
    ) -> dict[str, Any]:
        generation = kind == "GENERATION"
        usage = {"input": round(tokens_in * share), "output": round(tokens_out * share)} if generation else None
        return {
            "id": f"{root_id}-{suffix}",
            "trace_id": row["trace_id"],
            "parent_observation_id": None if suffix == "root" else f"{root_id}-root",
            "name": name,
            "type": kind,
            "model": view.story.model if generation else None,
            "level": "ERROR" if failed else "DEFAULT",
            "status_message": failed,
            "start_time": _at(start, latency * span[0]),
            "end_time": _at(start, latency * span[1]),
            "usage": usage | {"total": usage["input"] + usage["output"]} if usage else None,
            "cost": round(cost * share, 6) if generation else None,
        }

    observations = [
        observation("root", skeleton.name, "SPAN", (0, 1), 0.0, None),
        observation("plan", "plan", "GENERATION", (0, 0.2), _PLAN_SHARE, None),
        observation("step", step.name, step.type, (0.2, 0.7), 0.0, message if fails_in_step else None),
        observation(
            "answer", "compose_answer", "GENERATION", (0.7, 1), 1 - _PLAN_SHARE, None if fails_in_step else message
        ),
    ]
    return row | {"id": row["trace_id"], "observations": observations, "scores": []}


def _at(start: datetime, offset_ms: float) -> str:
    return (start + timedelta(milliseconds=offset_ms)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
