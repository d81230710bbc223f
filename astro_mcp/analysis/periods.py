"""How an analysis period is written, and when it may hide a peak: light, imported by the renderers at start-up."""

from __future__ import annotations

from astro_mcp import formats as fmt

DILUTING_MINUTES = 60  # periods longer than this can flatten a one-hour peak
_FEW_PERIODS = 4  # fewer periods than this give no typical value to stand out from


def dilution(analysis_minutes: int, window_minutes: int) -> str | None:
    """Why a short peak may not show, right beside the figure it would hide in; None when it would show."""
    periods = window_minutes // analysis_minutes
    if periods < _FEW_PERIODS:
        return (
            f"only {periods or 'part of one'} {sized(analysis_minutes)} period{'s' if periods > 1 else ''}, too few "
            "to tell a peak from the typical value: use a smaller interval, or zoom in with start_time/end_time"
        )
    if analysis_minutes > DILUTING_MINUTES:
        return f"{sized(analysis_minutes)} averages; the worst hour may be higher: zoom in with start_time/end_time"
    return None


def sized(minutes: int) -> str:
    """'6-hour' as an adjective, but '1 day 5 hours' where the adjective would read '1743-minute'."""
    adjective = fmt.minutes(minutes, adjective=True)
    return adjective if int(adjective.split("-")[0]) < 100 else fmt.minutes(minutes)
