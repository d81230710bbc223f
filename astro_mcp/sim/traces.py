"""The simulator's traces and summary endpoints, and what each trace says.

Which traces a window holds is `sim.population`'s; content is only generated for the page served. During an
error incident, counting back from its end, its second-newest error carries a 5 MB input and its fourth-newest
JSON objects as input and output. A trace id encodes its minute and index, so the trace-detail route finds the
trace again; each trace costs an equal share of its minute's tokens.
"""

from __future__ import annotations

import functools
import json
import math
import random
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from starlette.responses import JSONResponse, Response

from astro_mcp.sim import population
from astro_mcp.sim.data import days_of
from astro_mcp.sim.population import AgentView, Skeleton, error_incident, kept, matching, minute_skeletons, total

Param = Callable[[str], str | None]
HUGE_RANK, JSON_RANK = 1, 3  # 0 is the incident's newest error
HUGE_CHARS = 5 * 1024 * 1024
_CUSTOMERS = ("Jane Doe", "Ana Sousa", "Kenji Mori", "Zoë Laurent", "Omar Haddad")
_OTHER_ERRORS = (
    "RateLimitError: upstream model returned 429",
    "ValidationError: tool arguments did not match the schema",
    "KeyError: 'customer_id'",
)


def parse_moment(raw: str) -> datetime:
    """A query time as the real server reads it: ISO 8601, UTC when it has no offset."""
    moment = datetime.fromisoformat(raw)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _window(view: AgentView, param: Param) -> tuple[int, int] | Response:
    """[first, last) minutes of the window asked for (none from the future), or the server's error."""
    try:
        start, end = parse_moment(param("start_time") or ""), parse_moment(param("end_time") or "")
    except ValueError:
        return JSONResponse({"error": "start_time and end_time must be RFC 3339 times"}, 400)
    first = math.ceil(start.timestamp() / 60)
    last = min(math.ceil(end.timestamp() / 60), math.floor(view.now.timestamp() / 60))
    return first, max(first, last)


def traces_response(
    view: AgentView, param: Param, row: Callable[[AgentView, Skeleton], dict[str, Any]] | None = None
) -> Response:
    """`GET .../observability/traces`: newest first, one page of `limit` from `offset`, each row made by `row`."""
    window = _window(view, param)
    if isinstance(window, Response):
        return window
    status = param("status") or None
    if status not in (None, "ok", "error"):
        return JSONResponse({"error": "invalid status; must be ok or error"}, 400)
    limit, offset = _lenient(param("limit"), 50, 1000), _lenient(param("offset"), 0, None)
    row = row or trace_json

    def listed() -> str:
        page = islice(matching(view, *window, status), offset, offset + limit)
        traces = [row(view, skeleton) for skeleton in page]
        return dumps({"traces": traces, "total": total(view, *window, status), "limit": limit, "offset": offset})

    # An incident's newest errors are listed again and again, and one of them is 5 MB: the last pages are kept.
    key = (view.seed, view.agent, view.anchor, view.now, view.story, *window, status, limit, offset, row)
    return Response(kept(_LISTED, 8, key, listed), media_type="application/json")


_LISTED: dict[tuple[Any, ...], str] = {}  # the last pages listed, by all they depend on


def summary_response(view: AgentView, param: Param) -> Response:
    """`GET .../observability/summary`: the window's totals and its p95, from every trace's latency."""
    window = _window(view, param)
    if isinstance(window, Response):
        return window
    first, last = window
    latencies = population.latencies(view, first, last)
    traces = errors = tokens = 0
    latency_sum = 0.0
    for day, lo, hi in days_of(first, last):
        series = view.series_of(day)
        traces += sum(series.traces[lo:hi])
        errors += sum(series.errors[lo:hi])
        latency_sum = sum(series.latency_sum[lo:hi], latency_sum)  # minute after minute, as the metrics add them
        tokens += sum(series.input_tokens[lo:hi]) + sum(series.output_tokens[lo:hi])
    ordered = sorted(latencies)
    metrics = {
        "avg_latency_ms": round(latency_sum / traces, 1) if traces else 0.0,
        "p95_latency_ms": ordered[math.ceil(0.95 * len(ordered)) - 1] if ordered else 0.0,
        "total_tokens": tokens,
        "error_rate": errors / traces if traces else 0.0,
        "traces_per_hour": round(traces / ((last - first) / 60), 2) if last > first else 0.0,
    }
    time_range = {"start": param("start_time") or "", "end": param("end_time") or ""}
    return JSONResponse({"total_traces": traces, "time_range": time_range, "metrics": metrics})


def _lenient(raw: str | None, default: int, cap: int | None) -> int:
    try:
        value = int(raw or "")
    except ValueError:
        return default
    return default if value < 0 else value if cap is None else min(value, cap)


def trace_json(view: AgentView, skeleton: Skeleton) -> dict[str, Any]:
    """The trace as the API sends it, content included."""
    rng = random.Random(f"{view.seed}/{skeleton.minute}/{skeleton.index}/content")
    customer = rng.choice(_CUSTOMERS)
    order = f"A-{rng.randint(10000, 99999)}"
    email = customer.lower().replace(" ", ".").replace("ë", "e") + "@example.com"
    question: Any = f"Hi, I'm {customer} ({email}). Where is my order {order}? It was due on Monday."
    answer: Any = f"Your order {order} left our warehouse yesterday and should arrive within two days."
    incident = error_incident(view, skeleton.minute)
    if skeleton.error:
        rank = _rank_from_end(view, skeleton, incident) if incident else None
        answer = error_message(view, skeleton)
        if rank == HUGE_RANK:
            question = _huge_input(customer, email, order)
        elif rank == JSON_RANK:
            question = {"order_id": order, "customer": {"name": customer, "email": email}, "channel": "chat"}
            answer = {
                "error": {"type": "TimeoutError", "service": "orders", "message": "deadline exceeded"},
                "attempts": 3,
            }
    moment = datetime.fromtimestamp(skeleton.minute * 60 + skeleton.second, UTC)
    return {
        "trace_id": trace_id(view, skeleton),
        "name": skeleton.name,
        "status": "error" if skeleton.error else "ok",
        "latency_ms": skeleton.latency_ms,
        "input": question,
        "output": answer,
        "timestamp": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }


def error_message(view: AgentView, skeleton: Skeleton) -> str:
    """The message an error trace failed with: its story's step during an incident, else a stray error."""
    step = view.story.failing
    if skeleton.name == step.operation and error_incident(view, skeleton.minute):
        return step.message
    return random.Random(f"{view.seed}/{skeleton.minute}/{skeleton.index}/error").choice(_OTHER_ERRORS)


def trace_id(view: AgentView, skeleton: Skeleton) -> str:
    """32 hex digits: the minute, the index within it, then ten random bytes."""
    rng = random.Random(f"{view.seed}/{skeleton.minute}/{skeleton.index}/id")
    return f"{skeleton.minute:08x}{skeleton.index:04x}{rng.randbytes(10).hex()}"


def _rank_from_end(view: AgentView, skeleton: Skeleton, incident: tuple[int, int]) -> int:
    """How many of the incident's errors are newer than this one (none after now: an ongoing one has no end yet)."""
    newer = total(view, skeleton.minute + 1, min(incident[1], math.ceil(view.now.timestamp() / 60)), "error")
    same = minute_skeletons(view, skeleton.minute)
    return newer + sum(1 for s in same if s.error and s.index < skeleton.index)


@functools.lru_cache(maxsize=4)  # the same few, again and again: a listing of an incident's newest errors
def _huge_input(customer: str, email: str, order: str) -> str:
    """A customer who pasted a whole chat export: 5 MB, with multi-byte characters throughout."""
    line = f"[chat] {customer} <{email}>: order {order} — still not here? ¿Dónde está? 🙁\n"
    head = f"{customer} pasted the full conversation history for order {order}:\n"
    return (head + line * (HUGE_CHARS // len(line) + 1))[:HUGE_CHARS]


def dumps(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))
