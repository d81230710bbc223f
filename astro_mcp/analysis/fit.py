"""Keeping an answer within its size bound: a coarser table is the one thing a summary can give up."""

from __future__ import annotations

from collections.abc import Sequence

from astro_mcp.analysis.results.metrics import MetricsSummary

Row = tuple[int, int, float | None]


def _merged(rows: Sequence[Row]) -> Row:
    """Counts summed, latency weighted by traces (None when the rows had no traces)."""
    traces = sum(r[0] for r in rows)
    errors = sum(r[1] for r in rows)
    weighted = sum(r[0] * r[2] for r in rows if r[2] is not None)
    return traces, errors, weighted / traces if traces else None


def halved_table(summary: MetricsSummary) -> MetricsSummary:
    """The same summary with table rows (and the comparison's rows beside them) merged two by two."""
    table = summary.table
    rows = table.rows
    merged = []
    for i in range(0, len(rows), 2):
        pair = rows[i : i + 2]
        traces, errors, latency = _merged([(r[1], r[2], r[3]) for r in pair])
        merged.append((pair[0][0], traces, errors, latency, sum(r[4] for r in pair), sum(r[5] for r in pair)))
    update: dict[str, object] = {
        "table": table.model_copy(update={"interval_minutes": table.interval_minutes * 2, "rows": merged})
    }
    if (c := summary.comparison) is not None:
        before = [_merged(c.rows[i : i + 2]) for i in range(0, len(c.rows), 2)]
        update["comparison"] = c.model_copy(update={"rows": before})
    return summary.model_copy(update=update)
