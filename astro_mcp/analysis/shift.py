"""Level shifts: a step change that holds until the end, told apart from a spike that came and went.

The periods of the comparison window (when it comes just before) are put ahead of the window's own, so
a step that happened shortly before the window began is still seen as a step, with the level before it.
The split is the one that best separates the two sides (a weighted CUSUM, in one pass over prefix sums);
it is a regression only if the later level is well above the earlier one and holds on both sides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import median

from astro_mcp.analysis.anomalies import LATENCY_Z, poisson_z
from astro_mcp.analysis.results.metrics import MIN_TRACES, Metric

_MIN_BEFORE, _MIN_AFTER = 2, 3  # periods on each side of a step: a step that holds has lasted a while
_HOLDS = 0.75  # share of each side's periods on its own side of the midpoint
_MAD_SCALE = 1.4826


@dataclass(frozen=True)
class Point:
    """One period with enough traces: its start (epoch seconds), traces, errors and latency sum."""

    time: int
    traces: int
    errors: int
    latency_sum: float

    def value(self, metric: Metric) -> float:
        return (self.errors if metric == "error_rate" else self.latency_sum) / self.traces


@dataclass(frozen=True)
class Shift:
    metric: Metric
    since: int  # epoch seconds: the start of the first period at the new level
    before: float
    after: float
    peak: Point
    score: float


def judged(times: list[int], traces: list[int], errors: list[int], latency: list[float]) -> list[Point]:
    return [Point(t, n, e, s) for t, n, e, s in zip(times, traces, errors, latency, strict=True) if n >= MIN_TRACES]


def level_shift(points: list[Point], metric: Metric, error_threshold: float) -> Shift | None:
    """The step up that holds until the last point, if there is one."""
    if len(points) < _MIN_BEFORE + _MIN_AFTER:
        return None
    k = _best_split(points, metric)
    before, after = points[:k], points[k:]
    values_b, values_a = [p.value(metric) for p in before], [p.value(metric) for p in after]
    if metric == "error_rate":
        rate_b = sum(p.errors for p in before) / sum(p.traces for p in before)
        traces_a, errors_a = sum(p.traces for p in after), sum(p.errors for p in after)
        low, high = rate_b, errors_a / traces_a
        score = poisson_z(errors_a, traces_a * max(rate_b, 1e-4))
        if high < low + max(0.02, 0.5 * low) or score < error_threshold:
            return None
    else:
        low, high = median(values_b), median(values_a)
        spread = max(_MAD_SCALE * median(abs(v - low) for v in values_b), 0.05 * low, 1e-9)
        score = (high - low) / spread
        if high < 1.3 * low or score < LATENCY_Z:
            return None
    middle = (low + high) / 2
    holds = sum(v > middle for v in values_a) >= _HOLDS * len(values_a) and values_a[-1] > middle
    clean_before = sum(v < middle for v in values_b) >= _HOLDS * len(values_b)
    if not (holds and clean_before):
        return None
    peak = max(after, key=lambda p: p.value(metric))
    return Shift(metric, after[0].time, low, high, peak, score)


def _best_split(points: list[Point], metric: Metric) -> int:
    """The split (enough periods a side) that best separates an earlier lower level from a later higher one."""
    if metric == "error_rate":
        weights = [float(p.traces) for p in points]
        values = [p.value(metric) for p in points]
    else:  # log latency: one huge outlier should not decide where the step is
        weights = [1.0] * len(points)
        values = [math.log(max(p.value(metric), 1e-9)) for p in points]
    total_w = math.fsum(weights)
    total_s = math.fsum(w * v for w, v in zip(weights, values, strict=True))
    best, best_k = -1.0, _MIN_BEFORE
    w_b = s_b = 0.0
    for k in range(1, len(points) - _MIN_AFTER + 1):
        w_b += weights[k - 1]
        s_b += weights[k - 1] * values[k - 1]
        if k < _MIN_BEFORE:
            continue
        w_a, s_a = total_w - w_b, total_s - s_b
        mean_b, mean_a = s_b / w_b, s_a / w_a
        gain = w_b * w_a / total_w * (mean_a - mean_b) ** 2 if mean_a > mean_b else 0.0
        if gain > best:
            best, best_k = gain, k
    return best_k
