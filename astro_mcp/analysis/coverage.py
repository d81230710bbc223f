"""What a summary cannot say when the API's answer carries less than the documented route does."""

from __future__ import annotations

from astro_mcp.analysis.results.metrics import Change, MetricsSummary
from astro_mcp.formats import minutes

_UNKNOWN = Change(first_half=None, second_half=None, direction="unknown")


def without_error_counts(summary: MetricsSummary, route: str, bucket_minutes: int) -> MetricsSummary:
    """`summary` from a route whose `error_count` is always 0: error figures become 'not available', not 0."""
    note = (
        f"Answered by the per-deployment route ({route}): this Astro server has no per-agent metrics route. "
        f"That route gives hour, day, week or month buckets only ({minutes(bucket_minutes)} here) and counts no "
        "errors, so error figures are not available (not zero)."
    )
    unknown_errors = {"error_rate": None, "error_rate_change": None, "p_value": None}
    comparison = summary.comparison
    now = summary.now
    return summary.model_copy(
        update={
            "errors_available": False,
            "error_rate": None,
            "worst_error_rate": None,
            "now": now.model_copy(update={"error_rate": None}) if now is not None else None,
            "comparison": comparison.model_copy(update={**unknown_errors, "error_rate_verdict": "not_available"})
            if comparison is not None
            else None,
            "trend": summary.trend.model_copy(update={"error_rate": _UNKNOWN}),
            "notes": [*summary.notes, note],
        }
    )
