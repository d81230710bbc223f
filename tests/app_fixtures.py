"""Test-only stand-ins for tools that do not exist yet: `get_account_overview` and `get_agent_traces`.

They follow the shapes in the results spec, and are built by hand (statuses, reasons, traces) around
the real metrics results, so the view can be tested before the server has these tools. Replace each
with the server's real result once the tool exists.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from astro_mcp.domain import rfc3339

Result = dict[str, Any]

# Worst first, as the overview tool will order them.
OVERVIEW_ROWS: list[tuple[str, str, str | None]] = [
    ("checkout-agent", "incident", "Mean latency 2.5x its usual level since Nov 24 23:00 UTC, still going on."),
    ("support-bot", "degraded", "An error spike Nov 25 03:00–04:00 UTC; normal since."),
    ("new-agent", "no_traffic", "Deployed, but no traces in this window."),
    ("batch-agent", "healthy", None),
]


def _result(data: Result, text: str) -> Result:
    return {"content": [{"type": "text", "text": text}], "structuredContent": data, "isError": False}


def overview_result(account: str, metrics: dict[str, Result]) -> Result:
    """An overview of the agents in OVERVIEW_ROWS, with figures and sparklines from their real metrics."""
    agents = []
    for name, status, reason in OVERVIEW_ROWS:
        data = metrics[name]["structuredContent"]
        agents.append(
            {
                "name": name,
                "status": status,
                "headline": reason or "Healthy: nothing stands out.",
                "reason": reason,
                "trace_count": data["totals"]["trace_count"],
                "error_rate": data["error_rate"],
                "avg_latency_ms": data["avg_latency_ms"],
                "sparkline": [row[1] for row in data["table"]["rows"]],
                "error": None,
            }
        )
    window = metrics[OVERVIEW_ROWS[0][0]]["structuredContent"]["window"]
    headline = f"{len(agents)} agents: 1 incident, 1 degraded, 1 without traffic."
    overview = {
        "account": account,
        "window": {"start": window["start"], "end": window["end"]},
        "status": OVERVIEW_ROWS[0][1],
        "headline": headline,
        "agents": agents,
        "more_agents": 0,
    }
    return _result(overview, headline)


def traces_result(arguments: dict[str, Any], count: int = 3) -> Result:
    """`count` failing traces spread over the window the view asked for."""
    start = datetime.fromisoformat(arguments["start_time"])
    end = datetime.fromisoformat(arguments["end_time"])
    step = (end - start) / (count + 1)
    traces = [
        {
            "trace_id": f"tr-{i:04d}",
            "name": "answer_ticket",
            "status": "error",
            "latency_ms": 1200.0 + 100 * i,
            "timestamp": rfc3339(start + step * (i + 1)),
            "input": "…",
            "output": "upstream timeout",
        }
        for i in range(count)
    ]
    data = {
        "account": arguments["account"],
        "name": arguments["name"],
        "window": {"start": arguments["start_time"], "end": arguments["end_time"]},
        "status": "error",
        "total": count,
        "traces": traces,
        "groups": [
            {"name": "answer_ticket", "count": count, "first": traces[0]["timestamp"], "last": traces[-1]["timestamp"]}
        ],
        "next_offset": None,
    }
    return _result(data, f"{count} failing traces")
