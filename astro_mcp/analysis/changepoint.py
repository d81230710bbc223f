"""Change points: is a rise a step (one jump, then a new flat level) or a drift (a steady slope from an onset)?

Both models are fitted by weighted least squares to a signal's log values, one point per period: the best
single step (two flat levels) and the best hinge (flat, then a straight rise from the hinge on). A drift
is a hinge that fits clearly better than any step; its onset is the hinge, its rate the Theil–Sen slope
of the points after it, so a few wild periods cannot tilt it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from astro_mcp.analysis.robust import theil_sen

_MAX_POINTS = 2000  # more points are pooled into this many first
_MIN_AFTER = 6  # points after the hinge: a drift has lasted a while
_BETTER = 0.8  # the hinge must leave at most this share of the best step's squared error
_MIN_RISE = math.log(1.3)  # and rise by at least 30% from its onset to the last point


@dataclass(frozen=True)
class Drift:
    onset: float  # the time (epoch seconds) the rise begins
    per_hour: float  # relative rise per hour: 0.03 = +3% an hour


def drift(ts: list[float], ys: list[float], ws: list[float]) -> Drift | None:
    """A steady rise of `ys` (log values at times `ts`, weights `ws`) that fits better than a step; else None."""
    ts, ys, ws = _pooled(ts, ys, ws)
    n = len(ts)
    if n < 3 + _MIN_AFTER:
        return None
    step_error = _best_step(ys, ws)
    best = min(_hinges(ts, ys, ws), key=lambda fit: fit[0])
    error, k, slope = best
    if error > _BETTER * step_error or slope * (ts[-1] - ts[k]) < _MIN_RISE:
        return None
    robust = theil_sen(ts[k:], ys[k:])
    return Drift(ts[k], math.expm1(robust * 3600)) if robust > 0 else None


def _hinges(ts: list[float], ys: list[float], ws: list[float]) -> list[tuple[float, int, float]]:
    """(squared error, k, slope) of y = a + slope * max(0, t - ts[k]) for every hinge k with enough points
    on each side, by weighted least squares in O(1) each from suffix sums."""
    n = len(ts)
    sw = math.fsum(ws)
    sy = math.fsum(w * y for w, y in zip(ws, ys, strict=True))
    syy = math.fsum(w * y * y for w, y in zip(ws, ys, strict=True))
    # Suffix sums over points after the hinge: weights, w*t, w*t^2, w*y, w*t*y.
    s0 = s1 = s2 = s_y = s_ty = 0.0
    fits = []
    for k in range(n - 1, 1, -1):
        w, t, y = ws[k], ts[k], ys[k]
        s0, s1, s2, s_y, s_ty = s0 + w, s1 + w * t, s2 + w * t * t, s_y + w * y, s_ty + w * t * y
        if n - k < _MIN_AFTER:
            continue
        tau = t
        sx = s1 - tau * s0  # sums of x = t - tau over the points after the hinge (x = 0 before it)
        sxx = s2 - 2 * tau * s1 + tau * tau * s0
        sxy = s_ty - tau * s_y
        det = sw * sxx - sx * sx
        if det <= 0:
            continue
        slope = (sw * sxy - sx * sy) / det
        a = (sy - slope * sx) / sw
        fits.append((max(syy - a * sy - slope * sxy, 0.0), k, slope))
    return fits or [(math.inf, 0, 0.0)]


def _pooled(ts: list[float], ys: list[float], ws: list[float]) -> tuple[list[float], list[float], list[float]]:
    if len(ts) <= _MAX_POINTS:
        return ts, ys, ws
    size = -(-len(ts) // _MAX_POINTS)
    out: tuple[list[float], list[float], list[float]] = ([], [], [])
    for i in range(0, len(ts), size):
        w = sum(ws[i : i + size])
        out[0].append(sum(ts[i : i + size]) / len(ts[i : i + size]))
        out[1].append(sum(y * x for y, x in zip(ys[i : i + size], ws[i : i + size], strict=True)) / w)
        out[2].append(w)
    return out


def _best_step(ys: list[float], ws: list[float]) -> float:
    """The squared error left by the best split into two flat levels (the whole series at one level if none)."""
    total_w = math.fsum(ws)
    total_s = math.fsum(w * y for w, y in zip(ws, ys, strict=True))
    total_q = math.fsum(w * y * y for w, y in zip(ws, ys, strict=True))
    best = total_q - total_s**2 / total_w
    w_b = s_b = q_b = 0.0
    for k in range(len(ys) - 1):
        w_b += ws[k]
        s_b += ws[k] * ys[k]
        q_b += ws[k] * ys[k] ** 2
        w_a, s_a, q_a = total_w - w_b, total_s - s_b, total_q - q_b
        best = min(best, q_b - s_b**2 / w_b + q_a - s_a**2 / w_a)
    return max(best, 1e-12)
