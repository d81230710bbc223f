"""The series of a summary as text: sparklines (the earlier window's beside them), then one row per period."""

from __future__ import annotations

from astro_mcp import formats as fmt
from astro_mcp.analysis.results.metrics import MetricsSummary


def table(s: MetricsSummary, raw_uri: str) -> list[str]:
    t = s.table
    rows = t.rows
    coarser = t.interval_minutes != s.window.interval_minutes
    head = f"Series, one row per {fmt.minutes(t.interval_minutes)} (UTC)"
    if coarser:
        head += f", re-aggregated from {s.window.bucket_count:,} buckets of {fmt.minutes(s.window.interval_minutes)}"
    lines = [
        head + ":",
        f"  traces   {fmt.sparkline([float(r[1]) for r in rows])}",
        f"  errors   {fmt.sparkline([r[2] / r[1] if r[1] and s.errors_available else None for r in rows])}",
        f"  latency  {fmt.sparkline([r[3] for r in rows], from_zero=False)}",
    ]
    c = s.comparison
    if c is not None and c.trace_count and len(c.rows) == len(rows):
        # One scale for both windows, so the lines can be read against each other.
        traces = fmt.sparkline([float(r[1]) for r in rows] + [float(r[0]) for r in c.rows])
        latency = fmt.sparkline([r[3] for r in rows] + [r[2] for r in c.rows], from_zero=False)
        lines[1:] = [
            f"  traces   {traces[: len(rows)]}",
            f"  before   {traces[len(rows) :]}",
            lines[2],
            f"  latency  {latency[: len(rows)]}",
            f"  before   {latency[len(rows) :]}   (before: {c.label}; every row in the structured content)",
        ]
    lines.append(f"{'start (UTC)':<13}{'traces':>8}{'errors':>7}{'err %':>7}{'lat ms':>9}")
    for start, count, errors, latency_ms, _, _ in rows:
        rate = f"{errors / count * 100:.1f}" if count and s.errors_available else "-"
        shown = f"{latency_ms:.1f}" if latency_ms is not None else "-"
        counted = f"{errors:,}" if s.errors_available else "-"
        lines.append(f"{fmt.clock(start, with_day=True):<13}{count:>8,}{counted:>7}{rate:>7}{shown:>9}")
    more = "For finer detail, call again with a narrower window"
    more += " or a smaller interval" if coarser else ""
    lines.append(f"{more}; every bucket as the API sent it: read {raw_uri}")
    return lines
