"""Robust statistics for the detection engine: weighted medians, noise from successive differences,
count tails, and a Theil–Sen slope. Pure functions over plain lists.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist, median

from astro_mcp.analysis.anomalies import poisson_z

_NORMAL = NormalDist()
_MAD_SCALE = 1.4826  # MAD -> standard deviation for normal data
_TAIL = 0.98  # the quantile of |differences| the tail-aware scale matches ...
_TAIL_Z = _NORMAL.inv_cdf(0.5 + _TAIL / 2)  # ... to that of a normal's
_QUARTILE_Z = _NORMAL.inv_cdf(0.625)  # the lower quartile of a normal's |differences|, in its standard deviations
_THEIL_SEN_POINTS = 60  # more points are averaged into this many first: the slope costs O(points²)


def weighted_median(values: Sequence[float], weights: Sequence[float]) -> float:
    pairs = sorted(zip(values, weights, strict=True))
    half, acc = math.fsum(weights) / 2, 0.0
    for value, weight in pairs:
        acc += weight
        if acc >= half:
            return value
    return pairs[-1][0]


def unit_noise(values: Sequence[float], weights: Sequence[float]) -> tuple[float, float]:
    """The spread of one unit of weight (one trace), from successive differences of per-period means.

    A period's mean over w traces varies as sigma / sqrt(w); the difference of two neighbours as
    sigma * sqrt(1/w1 + 1/w2). Differences cancel steps and slow drifts, so a regression does not inflate
    the noise. The larger of a robust (MAD) scale and one matched to the differences' upper tail (their
    98th percentile): rare huge traces such as timeouts are part of the noise, so they are not anomalies.
    A one-period spike adds only two differences, too few to move that percentile. Returns (core, total):
    the scale of the quietest differences (their lower quartile: what the data is without its tail), and
    the noise to judge by.
    """
    scaled = sorted(
        abs(b - a) / math.sqrt(1 / wa + 1 / wb)
        for a, b, wa, wb in zip(values, values[1:], weights, weights[1:], strict=False)
    )
    if not scaled:
        return 0.0, 0.0
    robust = _MAD_SCALE * median(scaled)
    if len(scaled) < 10:
        return robust, robust  # too few differences for a tail quantile that is not the incident itself
    core = scaled[len(scaled) // 4] / _QUARTILE_Z
    return core, max(robust, scaled[min(len(scaled) - 3, int(_TAIL * len(scaled)))] / _TAIL_Z)


def upper_z(k: int, lam: float) -> float:
    """How unlikely k or more events are at a mean of lam, as a normal z-score (0 when not above lam)."""
    return poisson_z(k, max(lam, 1e-9))


def lower_z(k: int, lam: float) -> float:
    """How unlikely k or fewer events are at a mean of lam, as a normal z-score (0 when not below lam)."""
    if k >= lam or lam <= 0:
        return 0.0
    log_term = -lam + k * math.log(lam) - math.lgamma(k + 1)  # P(X = k); each earlier term is i / lam of the next
    log_total, i = log_term, k
    while i > 0:
        log_term += math.log(i / lam)
        i -= 1
        if log_term < log_total - 30:
            break
        log_total = max(log_total, log_term) + math.log1p(math.exp(-abs(log_total - log_term)))
    return min(-_NORMAL.inv_cdf(min(max(math.exp(log_total), 1e-300), 0.5)), 38.0)


def threshold(alpha: float, tests: int) -> float:
    """The z-score a test must reach so that `tests` of them raise a false alarm with chance `alpha` in all."""
    return -_NORMAL.inv_cdf(alpha / max(tests, 1))


def theil_sen(xs: Sequence[float], ys: Sequence[float]) -> float:
    """The median of pairwise slopes: a line through data that a few wild points cannot tilt."""
    if len(xs) > _THEIL_SEN_POINTS:
        size = -(-len(xs) // _THEIL_SEN_POINTS)
        xs = [sum(xs[i : i + size]) / len(xs[i : i + size]) for i in range(0, len(xs), size)]
        ys = [sum(ys[i : i + size]) / len(ys[i : i + size]) for i in range(0, len(ys), size)]
    slopes = [(ys[j] - ys[i]) / (xs[j] - xs[i]) for i in range(len(xs)) for j in range(i + 1, len(xs)) if xs[j] > xs[i]]
    return median(slopes) if slopes else 0.0
