"""The gap-filled grid: the API's sparse buckets laid on regular, epoch-aligned periods.

The API leaves out buckets with no traces, so a missing bucket is idle time (zeros), never missing
data. Columns are kept as plain lists: the hot loop handles 43,200 buckets for 30 days at 1 minute.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from astro_mcp.domain import Bucket
from astro_mcp.formats import minutes as describe_minutes

N = TypeVar("N", int, float)
_TARGET_TRACES = 30  # the analysis grid aims for this many traces in an average period
_MIN_PERIODS = 12  # ... but keeps at least this many periods
_NICE_MINUTES = (1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440, 2880, 4320, 10080, 20160, 40320)


@dataclass(slots=True)
class Series:
    """Columns over a regular grid: item i covers [t0 + i*step, t0 + (i+1)*step) in epoch seconds."""

    t0: int
    step: int
    traces: list[int]
    errors: list[int]
    latency_sum: list[float]
    input_tokens: list[int]
    output_tokens: list[int]
    # Coarser copies made so far, by step: a series is regrouped several ways, and once filled never changes.
    coarser: dict[int, Series] = field(default_factory=dict, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.traces)

    def time(self, i: int) -> int:
        return self.t0 + i * self.step

    def overlapping(self, start: int, end: int) -> range:
        """The items that overlap [start, end) (epoch seconds)."""
        first = max(0, (start - self.t0) // self.step)
        return range(first, min(len(self), max(first, -(-(end - self.t0) // self.step))))

    def latency(self, i: int) -> float | None:
        return self.latency_sum[i] / self.traces[i] if self.traces[i] else None

    def regroup(self, step: int) -> Series:
        """The same data in coarser items of `step` seconds (a multiple of ours), aligned to the epoch.

        Made from the coarsest copy already made whose items nest in the new ones, and kept.
        """
        if step == self.step:
            return self
        if step not in self.coarser:
            nested = max((c for c in self.coarser if step % c == 0), default=None)
            self.coarser[step] = (self if nested is None else self.coarser[nested])._summed(step)
        return self.coarser[step]

    def _summed(self, step: int) -> Series:
        t0 = self.t0 // step * step
        n = (self.time(len(self)) - t0 + step - 1) // step
        factor, lead = step // self.step, (self.t0 - t0) // self.step
        bounds = [min(max(0, j * factor - lead), len(self)) for j in range(n + 1)]
        spans = list(itertools.pairwise(bounds))

        def sums(column: list[N]) -> list[N]:
            prefix = list(itertools.accumulate(column))
            prefix.insert(0, column[0] - column[0])  # a zero of the column's own type (int or float)
            return [prefix[j] - prefix[i] for i, j in spans]

        return Series(
            t0,
            step,
            sums(self.traces),
            sums(self.errors),
            sums(self.latency_sum),
            sums(self.input_tokens),
            sums(self.output_tokens),
        )

    def at(self, i: int) -> datetime:
        """The start of item i."""
        return datetime.fromtimestamp(self.time(i), UTC)

    def columns(self) -> tuple[list[int], list[int], list[float], list[int], list[int]]:
        return self.traces, self.errors, self.latency_sum, self.input_tokens, self.output_tokens


def lay_on_grid(
    buckets: Sequence[Bucket], interval_minutes: int, start: datetime, end: datetime
) -> tuple[Series, list[str]]:
    """Gap-fill the API's sparse buckets onto the window's grid; note anything odd about them."""
    step = interval_minutes * 60
    t0 = int(start.timestamp()) // step * step
    n = max(1, -(-(int(end.timestamp()) - t0) // step))
    series = Series(t0, step, [0] * n, [0] * n, [0.0] * n, [0] * n, [0] * n)
    traces, errors, latency, tokens_in, tokens_out = series.columns()
    # The origin takes the buckets' own tzinfo object: datetimes sharing one subtract without
    # calling utcoffset(), three times faster (mixed offsets still subtract correctly, slower).
    tz = buckets[0]["timestamp"].tzinfo if buckets else UTC
    origin = datetime.fromtimestamp(t0, tz)
    outside = off_grid = shared = 0
    for b in buckets:  # the hot loop (43,200 buckets for 30 days at 1 minute): plain int arithmetic is fastest
        offset = b["timestamp"] - origin
        seconds = offset.days * 86400 + offset.seconds
        i = seconds // step
        if not 0 <= i < n:
            outside += 1
            continue
        if seconds % step or offset.microseconds:
            off_grid += 1
        if traces[i]:
            shared += 1
        count = b["trace_count"]
        traces[i] += count
        errors[i] += b["error_count"]
        latency[i] += b["avg_latency_ms"] * count
        tokens_in[i] += b["input_tokens"]
        tokens_out[i] += b["output_tokens"]
    impossible = sum(map(operator.gt, errors, traces))
    notes = []
    if outside:
        notes.append(f"The API returned {outside} bucket(s) outside the window; they were left out of every figure.")
    if shared:
        notes.append(
            f"{shared} bucket(s) fell in a time slot another bucket already had (duplicate timestamps); "
            "their counts were added together."
        )
    if off_grid:
        notes.append(
            f"{off_grid} bucket(s) were not aligned to {describe_minutes(interval_minutes)} boundaries; "
            "each was counted in the bucket it falls in."
        )
    if impossible:
        notes.append(f"{impossible} bucket(s) report more errors than traces; error rates there exceed 100%.")
    return series, notes


def analysis_step(series: Series, target: int = _TARGET_TRACES, periods: int = _MIN_PERIODS) -> int:
    """The coarsest step needed for an average period to hold `target` traces, keeping `periods` periods."""
    n, traces = len(series), sum(series.traces)
    if traces == 0:
        return series.step
    factor = min(math.ceil(target * n / traces), max(1, n // periods))
    return nice_step(series.step, factor)


def nice_step(step: int, factor: int) -> int:
    """A multiple of `step` at least `factor` times it: a round size if one is near, else exactly `factor` times.

    A round size is taken only within twice the size needed: for 7-minute buckets the first round
    multiple is a week, which would average a one-hour incident away.
    """
    minutes, needed = step // 60, step // 60 * factor
    for nice in _NICE_MINUTES:
        if needed <= nice <= 2 * needed and nice % minutes == 0:
            return nice * 60
    return step * factor
