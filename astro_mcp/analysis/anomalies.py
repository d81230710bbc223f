"""The anomaly judges: which periods' error rate or latency stand out, and by how much.

Errors are counts, so they are judged by a Poisson tail at the typical rate; latency is a mean, judged
in robust deviations (MAD) above the median period.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from statistics import NormalDist, median
from typing import Literal

from astro_mcp.analysis.grid import Series
from astro_mcp.analysis.results import MIN_TRACES, Anomaly, Period

LATENCY_Z = 4.0  # robust deviations (MAD) above the median latency that make an anomaly
_FALSE_ALARMS = 0.001  # chance per window of flagging an error anomaly in data without one
_MAD_SCALE = 1.4826  # MAD -> standard deviation for normal data
_NORMAL = NormalDist()


def period(series: Series, i: int, baseline: float | None, value: float | None = None) -> Period:
    """Item i of `series` as a `Period`, with its value (traces by default) and the typical value."""
    return Period(
        start=series.at(i),
        minutes=series.step // 60,
        value=float(series.traces[i]) if value is None else value,
        baseline=baseline,
        trace_count=series.traces[i],
        error_count=series.errors[i],
    )


class Judge:
    """Scores each period with enough traces for one metric; a score at `threshold` or more is an anomaly."""

    metric: Literal["error_rate", "avg_latency_ms"]

    def __init__(self, series: Series, eligible: list[int], window: tuple[int, int]) -> None:
        self.series = series
        self.eligible = eligible
        self.window = window  # an anomaly is told within it, though its periods may stick out
        self.baseline: float | None = None
        self.threshold = math.inf
        self.scores: dict[int, float] = {}

    def value(self, i: int) -> float:
        raise NotImplementedError

    def worst(self) -> Period | None:
        """The period that stands out most (by score, then value), with the baseline; None with fewer than two."""
        if len(self.eligible) < 2:
            return None  # a lone period has nothing to stand out from
        i = max(self.eligible, key=lambda j: (self.scores.get(j, 0.0), self.value(j), self.series.traces[j]))
        return period(self.series, i, self.baseline, self.value(i))

    def episodes(self) -> list[Anomaly]:
        """Runs of flagged periods; periods too small to judge do not break a run."""
        flagged = sorted(i for i, score in self.scores.items() if score >= self.threshold)
        judged = set(self.eligible)
        runs: list[list[int]] = []
        for i in flagged:
            if runs and not any(j in judged for j in range(runs[-1][-1] + 1, i)):
                runs[-1].append(i)
            else:
                runs.append([i])
        return [self._anomaly(run, max(run, key=self.scores.__getitem__), self.scores) for run in runs]

    def _anomaly(self, run: list[int], peak: int, scores: dict[int, float]) -> Anomaly:
        s, span = self.series, range(run[0], run[-1] + 1)
        return Anomaly(
            metric=self.metric,
            start=_at(max(s.time(run[0]), self.window[0])),
            end=_at(min(s.time(run[-1] + 1), self.window[1])),
            peak_time=_at(max(s.time(peak), self.window[0])),
            peak=self.value(peak),
            baseline=self.baseline or 0.0,
            score=scores[run[0]],
            trace_count=sum(s.traces[j] for j in span),
            error_count=sum(s.errors[j] for j in span),
        )


class ErrorJudge(Judge):
    """Errors: how unlikely so many errors are at the typical rate (a Poisson tail, as a z-score).

    An anomaly is a run of consecutive periods each well above the typical rate, whose errors taken
    together are too many for chance: an incident spread over several quiet periods is found even
    when no single period is conclusive. The typical rate is the pooled rate outside anomalies (two
    passes), and the threshold tightens with the number of periods, so a long window raises no more
    false alarms than a short one.
    """

    metric = "error_rate"

    def __init__(self, series: Series, eligible: list[int], window: tuple[int, int]) -> None:
        super().__init__(series, eligible, window)
        self.runs: list[tuple[list[int], float]] = []
        if not eligible:
            return
        self.threshold = -_NORMAL.inv_cdf(_FALSE_ALARMS / len(series))
        traces, errors = sum(series.traces), sum(series.errors)
        for _ in range(2):
            self.baseline = errors / traces
            self.runs = self._significant_runs(self.baseline)
            inside = [i for run, _ in self.runs for i in range(run[0], run[-1] + 1)]
            outside = traces - sum(series.traces[i] for i in inside)
            errors_outside = errors - sum(series.errors[i] for i in inside)
            traces, errors = (outside, errors_outside) if outside else (traces, errors)
        self.scores = {i: self._z(series.errors[i], series.traces[i]) for i in eligible}

    def value(self, i: int) -> float:
        return self.series.errors[i] / self.series.traces[i]

    def episodes(self) -> list[Anomaly]:
        s = self.series
        return [
            self._anomaly(run, max(run, key=lambda i: (s.errors[i] / s.traces[i], s.errors[i])), {run[0]: z})
            for run, z in self.runs
        ]

    def _elevated(self, errors: int, traces: int, rate: float) -> bool:
        return errors > 0 and errors / traces >= rate + max(0.02, 0.5 * rate)

    def _z(self, errors: int, traces: int) -> float:
        rate = self.baseline or 0.0
        if errors < 3 or traces < MIN_TRACES or not self._elevated(errors, traces, rate):
            return 0.0  # too little evidence, or too small a rise to matter
        return _poisson_z(errors, traces * max(rate, 1e-4))

    def _significant_runs(self, rate: float) -> list[tuple[list[int], float]]:
        s = self.series
        runs: list[list[int]] = [[]]
        for i, traces in enumerate(s.traces):
            if traces == 0:
                continue  # an idle period neither starts nor breaks a run
            if self._elevated(s.errors[i], traces, rate):
                runs[-1].append(i)
            elif runs[-1]:
                runs.append([])
        found = []
        for run in filter(None, runs):
            span = range(run[0], run[-1] + 1)
            z = self._z(sum(s.errors[j] for j in span), sum(s.traces[j] for j in span))
            if z >= self.threshold:
                found.append((run, z))
        return found


class LatencyJudge(Judge):
    """Mean latency per period against the median period, in robust deviations (MAD)."""

    metric = "avg_latency_ms"

    def __init__(self, series: Series, eligible: list[int], window: tuple[int, int]) -> None:
        super().__init__(series, eligible, window)
        if not eligible:
            return
        values = {i: self.value(i) for i in eligible}
        base = self.baseline = median(values.values())
        spread = max(_MAD_SCALE * median(abs(v - base) for v in values.values()), 0.05 * base, 1e-9)
        self.threshold = LATENCY_Z
        self.scores = {i: (v - base) / spread if v >= 1.3 * base else 0.0 for i, v in values.items()}

    def value(self, i: int) -> float:
        return self.series.latency_sum[i] / self.series.traces[i]


def _poisson_z(k: int, lam: float) -> float:
    """P(X >= k) for X ~ Poisson(lam), expressed as the z-score of a normal tail that small."""
    if k <= lam:
        return 0.0
    term = math.exp(-lam + k * math.log(lam) - math.lgamma(k + 1))  # P(X = k); each next term is lam / i of it
    total, i = term, k
    while term > total * 1e-12 and i - k < 1000:
        i += 1
        term *= lam / i
        total += term
    return -_NORMAL.inv_cdf(min(max(total, 1e-300), 0.5))


def _at(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
