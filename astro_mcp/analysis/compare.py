"""This window against an earlier one of the same length: traffic, error rate, latency, tokens per trace.

Errors are counts, so the error rate is compared by a test on counts: given all the errors of both
windows, how unlikely is a split this uneven if both had the same rate (a conditional binomial test,
the standard test for two Poisson rates). When even the most uneven split could not be told from
chance, the honest answer is that there is not enough traffic to tell.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from statistics import NormalDist
from typing import Literal

from astro_mcp.analysis.grid import Series, lay_on_grid
from astro_mcp.analysis.results.metrics import Comparison, round4
from astro_mcp.domain import Bucket, MetricsQuery
from astro_mcp.formats import minutes as describe_minutes

Mode = Literal["previous", "week", "none"]

SIGNIFICANCE = 0.01
_EXACT_UP_TO = 5000  # errors in both windows: beyond this the normal approximation is as good


@dataclass(frozen=True)
class Reference:
    """The earlier window and what the API sent for it."""

    label: str
    start: datetime
    end: datetime
    buckets: Sequence[Bucket]
    interval_minutes: int
    contiguous: bool  # it ends where the window starts (or a bucket earlier, to stay on the grid)

    def series(self, step: int) -> Series:
        """Its data on its own grid, in items of `step` seconds."""
        own, _ = lay_on_grid(self.buckets, self.interval_minutes, self.start, self.end)
        return own.regroup(step) if step % own.step == 0 else own


def reference_window(query: MetricsQuery, mode: Mode) -> tuple[str, datetime, datetime] | None:
    """The label and bounds of the window to compare `query` with; None for no comparison.

    The previous window is shifted back by the window's length rounded up to whole buckets, so its
    buckets land on the same grid positions as the window's own.
    """
    if mode == "none":
        return None
    if mode == "week":
        shift = timedelta(days=7)
        return "the same window a week earlier", query.start - shift, query.end - shift
    length = (query.end - query.start) // timedelta(minutes=1)
    buckets = -(-length // query.interval_minutes)
    shift = timedelta(minutes=buckets * query.interval_minutes)
    return _previous(length), query.start - shift, query.end - shift


def _previous(minutes: int) -> str:
    """'the previous day', 'the previous 6 hours': the label of the window before one of `minutes`."""
    return f"the previous {describe_minutes(minutes).removeprefix('1 ')}"


def on_bucket_grid(query: MetricsQuery) -> MetricsQuery:
    """`query` widened back to the start of its first bucket, so that no bucket straddles its start."""
    step = query.interval_minutes * 60
    return dataclasses.replace(query, start=datetime.fromtimestamp(int(query.start.timestamp()) // step * step, UTC))


def with_previous(query: MetricsQuery) -> MetricsQuery:
    """One query for `query`'s window and the one of the same length that ends where it starts."""
    return dataclasses.replace(query, start=query.start - (query.end - query.start), notes=())


def split_previous(
    query: MetricsQuery, both: Sequence[Bucket], interval_minutes: int
) -> tuple[list[Bucket], Reference] | None:
    """`query`'s own buckets, and the window before it, from the answer to `with_previous(query)`.

    None when a bucket sent may straddle the window's start (the API answered with coarser buckets
    than asked for): the two windows must then be asked for apart.
    """
    if both and int(query.start.timestamp()) % (interval_minutes * 60):
        return None
    label = _previous((query.end - query.start) // timedelta(minutes=1))
    before = [b for b in both if b["timestamp"] < query.start]
    reference = Reference(label, with_previous(query).start, query.start, before, interval_minutes, contiguous=True)
    return [b for b in both if b["timestamp"] >= query.start], reference


def compare(ref: Reference, main: Series, window: tuple[datetime, datetime], table_step: int) -> Comparison:
    """The earlier window against `main`; its rows laid on the main window's table grid.

    The earlier buckets are moved forward by whole buckets, so that each lands on the window's grid.
    """
    step = timedelta(minutes=ref.interval_minutes)
    shift = -((ref.start - window[0]) // step) * step
    moved: list[Bucket] = [{**b, "timestamp": b["timestamp"] + shift} for b in ref.buckets]
    aligned, _ = lay_on_grid(moved, ref.interval_minutes, *window)
    rows = aligned.regroup(table_step)
    n0, e0 = sum(aligned.traces), sum(aligned.errors)
    n1, e1 = sum(main.traces), sum(main.errors)
    lat0 = math.fsum(aligned.latency_sum) / n0 if n0 else None
    lat1 = math.fsum(main.latency_sum) / n1 if n1 else None
    tok0 = (sum(aligned.input_tokens) + sum(aligned.output_tokens)) / n0 if n0 else None
    tok1 = (sum(main.input_tokens) + sum(main.output_tokens)) / n1 if n1 else None
    verdict, p = rate_test(e1, n1, e0, n0)
    return Comparison(
        label=ref.label,
        start=ref.start,
        end=ref.end,
        trace_count=n0,
        error_count=e0,
        error_rate=e0 / n0 if n0 else None,
        avg_latency_ms=lat0,
        tokens_per_trace=tok0,
        traffic_change=_relative(n1, n0),
        error_rate_change=_relative(e1 / n1 if n1 else None, e0 / n0 if n0 else None),
        latency_change=_relative(lat1, lat0),
        tokens_per_trace_change=_relative(tok1, tok0),
        error_rate_verdict=verdict,
        p_value=p,
        rows=[(rows.traces[i], rows.errors[i], rows.latency(i)) for i in range(len(rows))],
    )


def rate_test(e1: int, n1: int, e0: int, n0: int) -> tuple[str, float | None]:
    """Is the error rate now (e1 of n1) different from before (e0 of n0)? The verdict and a two-sided p-value."""
    if not n0 or not n1:
        return "not_enough_traffic", None
    m, share = e0 + e1, n1 / (n0 + n1)
    if 2 * max(share, 1 - share) ** m > SIGNIFICANCE:
        return "not_enough_traffic", None  # even all errors on one side would not be significant
    p = _two_sided(e1, m, share)
    if p >= SIGNIFICANCE:
        return "no_significant_change", round4(p)
    return ("higher" if e1 / n1 > e0 / n0 else "lower"), round4(p)


def _two_sided(k: int, m: int, share: float) -> float:
    if m > _EXACT_UP_TO:
        z = (abs(k - m * share) - 0.5) / math.sqrt(m * share * (1 - share))
        return min(1.0, 2 * (1 - NormalDist().cdf(max(z, 0.0))))
    logs = [
        math.lgamma(m + 1)
        - math.lgamma(i + 1)
        - math.lgamma(m - i + 1)
        + i * math.log(share)
        + (m - i) * math.log1p(-share)
        for i in range(m + 1)
    ]
    pmf = [math.exp(v) for v in logs]
    low, high = math.fsum(pmf[: k + 1]), math.fsum(pmf[k:])
    return min(1.0, 2 * min(low, high))


def _relative(now: float | None, before: float | None) -> float | None:
    return None if now is None or not before else (now - before) / before
