"""The series of a summary as text: sparklines, then one row per period, with the earlier window beside it."""

from __future__ import annotations

from astro_mcp import formats as fmt
from astro_mcp.analysis.results import MetricsSummary


def table(s: MetricsSummary, raw_uri: str) -> list[str]:
    t = s.table
    rows = t.rows
    coarser = t.interval_minutes != s.window.interval_minutes
    head = f"Series, one row per {fmt.minutes(t.interval_minutes)} (UTC)"
    if coarser:
        head += f", re-aggregated from {s.window.bucket_count:,} buckets of {fmt.minutes(s.window.interval_minutes)}"
    before = s.comparison.rows if s.comparison is not None and len(s.comparison.rows) == len(rows) else None
    lines = [
        head + (f"; 'before' columns: {s.comparison.label}" if before and s.comparison else "") + ":",
        f"  traces   {fmt.sparkline([float(r[1]) for r in rows])}",
        f"  errors   {fmt.sparkline([r[2] / r[1] if r[1] else None for r in rows])}",
        f"  latency  {fmt.sparkline([r[3] for r in rows], from_zero=False)}",
        f"{'start (UTC)':<13}{'traces':>8}{'errors':>7}{'err %':>7}{'lat ms':>9}"
        + (f"{'before':>8}{'err %':>7}{'lat ms':>9}" if before else ""),
    ]
    for k, (start, count, errors, latency, _, _) in enumerate(rows):
        line = f"{fmt.clock(start, with_day=True):<13}{count:>8,}{errors:>7,}{_rate(errors, count):>7}{_ms(latency):>9}"
        if before:
            n, e, lat = before[k]
            line += f"{n:>8,}{_rate(e, n):>7}{_ms(lat):>9}"
        lines.append(line)
    more = "For finer detail, call again with a narrower window"
    more += " or a smaller interval" if coarser else ""
    lines.append(f"{more}; every bucket as the API sent it: read {raw_uri}")
    return lines


def _rate(errors: int, count: int) -> str:
    return f"{errors / count * 100:.1f}" if count else "-"


def _ms(latency: float | None) -> str:
    return f"{latency:.1f}" if latency is not None else "-"
