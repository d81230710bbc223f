"""The anomaly judges: which periods' error rate or latency stand out, and by how much.

Errors are counts, so they are judged by a Poisson tail at the typical rate; latency is a mean, judged
in robust deviations (MAD) above the median period.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist, median

from astro_mcp.analysis.grid import Series
from astro_mcp.analysis.results.metrics import MIN_TRACES, Metric, Period

LATENCY_Z = 4.0  # robust deviations (MAD) above the median latency that make an anomaly
_FALSE_ALARMS = 0.001  # chance per window of flagging an error anomaly in data without one
_MAD_SCALE = 1.4826  # MAD -> standard deviation for normal data
_NORMAL = NormalDist()


@dataclass(frozen=True)
class Anomaly:
    """A run of flagged periods, items `first`..`last` of the analysis grid; its score is its peak's."""

    metric: Metric
    first: int
    last: int
    peak: int
    peak_value: float
    baseline: float
    score: float


def period(series: Series, i: int, baseline: float | None, value: float | None = None, unusual: bool = False) -> Period:
    """Item i of `series` as a `Period`, with its value (traces by default) and the typical value."""
    return Period(
        start=series.at(i),
        minutes=series.step // 60,
        value=float(series.traces[i]) if value is None else value,
        baseline=baseline,
        unusual=unusual,
        trace_count=series.traces[i],
        error_count=series.errors[i],
    )


class Judge:
    """Scores each period with enough traces for one metric; a score at `threshold` or more is an anomaly.

    `pool` holds earlier data at the same step (the comparison window): its periods join the window's
    own in setting the typical value, so a window that is unusual throughout is not its own yardstick.
    """

    metric: Metric

    def __init__(self, series: Series, eligible: list[int], pool: Series | None = None) -> None:
        self.series = series
        self.eligible = eligible
        self.pool = pool
        self.baseline: float | None = None
        self.threshold = math.inf
        self.scores: dict[int, float] = {}

    def value(self, i: int) -> float:
        raise NotImplementedError

    def worst(self, complete: list[int], in_incidents: set[int]) -> Period | None:
        """The complete period that stands out most (by score, then value); None with fewer than two to compare."""
        whole = set(complete)
        candidates = [i for i in self.eligible if i in whole]
        if len(candidates) < 2:
            return None  # a lone period has nothing to stand out from
        i = max(candidates, key=lambda j: (self.scores.get(j, 0.0), self.value(j), self.series.traces[j]))
        score = self.scores.get(i, 0.0)
        unusual = score >= self.threshold or i in in_incidents
        return period(self.series, i, self.baseline, self.value(i), unusual=unusual)

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
        return [self._anomaly(run, self.scores[max(run, key=self.scores.__getitem__)]) for run in runs]

    def _anomaly(self, run: list[int], score: float) -> Anomaly:
        busy = [i for i in run if self.series.traces[i]]  # an idle period inside a run has no value
        peak = max(busy, key=lambda i: (self.scores.get(i, 0.0), self.value(i)))
        return Anomaly(self.metric, run[0], run[-1], peak, self.value(peak), self.baseline or 0.0, score)


class ErrorJudge(Judge):
    """Errors: how unlikely so many errors are at the typical rate (a Poisson tail, as a z-score).

    An anomaly is a run of consecutive periods each well above the typical rate, whose errors taken
    together are too many for chance: an incident spread over several quiet periods is found even
    when no single period is conclusive. The typical rate is the pooled rate outside anomalies (two
    passes), and the threshold tightens with the number of periods, so a long window raises no more
    false alarms than a short one.
    """

    metric = "error_rate"

    def __init__(self, series: Series, eligible: list[int], pool: Series | None = None) -> None:
        super().__init__(series, eligible, pool)
        self.runs: list[tuple[list[int], float]] = []
        if not eligible:
            return
        self.threshold = -_NORMAL.inv_cdf(_FALSE_ALARMS / len(series))
        sources = [series] if pool is None or not sum(pool.traces) else [series, pool]
        traces, errors = sum(sum(s.traces) for s in sources), sum(sum(s.errors) for s in sources)
        self.baseline = errors / traces
        for _ in range(2):  # the typical rate is the rate outside the runs found at the previous estimate
            inside = [(s, i) for s in sources for run, _ in self._significant_runs(s, self.baseline) for i in run]
            outside = traces - sum(s.traces[i] for s, i in inside)
            if outside:
                self.baseline = (errors - sum(s.errors[i] for s, i in inside)) / outside
        self.runs = self._significant_runs(series, self.baseline)
        self.scores = {i: self._z(series.errors[i], series.traces[i]) for i in eligible}

    def value(self, i: int) -> float:
        return self.series.errors[i] / self.series.traces[i]

    def episodes(self) -> list[Anomaly]:
        # A run is found on its pooled errors; it is scored by its peak period, or the run's evidence when stronger.
        return [self._anomaly(run, max(z, *(self.scores.get(i, 0.0) for i in run))) for run, z in self.runs]

    def _elevated(self, errors: int, traces: int, rate: float) -> bool:
        return errors > 0 and errors / traces >= rate + max(0.02, 0.5 * rate)

    def _z(self, errors: int, traces: int) -> float:
        rate = self.baseline or 0.0
        if errors < 3 or traces < MIN_TRACES or not self._elevated(errors, traces, rate):
            return 0.0  # too little evidence, or too small a rise to matter
        return poisson_z(errors, traces * max(rate, 1e-4))

    def _significant_runs(self, s: Series, rate: float) -> list[tuple[list[int], float]]:
        """Runs of elevated periods (idle ones between them included) whose errors together are too many."""
        runs: list[list[int]] = [[]]
        for i, traces in enumerate(s.traces):
            if traces == 0:
                continue  # an idle period neither starts nor breaks a run
            if self._elevated(s.errors[i], traces, rate):
                runs[-1].extend(range(runs[-1][-1] + 1, i + 1) if runs[-1] else [i])
            elif runs[-1]:
                runs.append([])
        found = []
        for run in filter(None, runs):
            z = self._z(sum(s.errors[j] for j in run), sum(s.traces[j] for j in run))
            if z >= self.threshold:
                found.append((run, z))
        return found


class LatencyJudge(Judge):
    """Mean latency per period against the median period, in robust deviations (MAD)."""

    metric = "avg_latency_ms"

    def __init__(self, series: Series, eligible: list[int], pool: Series | None = None) -> None:
        super().__init__(series, eligible, pool)
        if not eligible:
            return
        values = {i: self.value(i) for i in eligible}
        known = list(values.values()) + (latencies(pool) if pool is not None else [])
        base = self.baseline = median(known)
        spread = max(_MAD_SCALE * median(abs(v - base) for v in known), 0.05 * base, 1e-9)
        self.threshold = LATENCY_Z
        self.scores = {i: (v - base) / spread if v >= 1.3 * base else 0.0 for i, v in values.items()}

    def value(self, i: int) -> float:
        return self.series.latency_sum[i] / self.series.traces[i]


def latencies(series: Series) -> list[float]:
    """Mean latency of every period with enough traces to judge."""
    return [series.latency_sum[i] / t for i, t in enumerate(series.traces) if t >= MIN_TRACES]


def poisson_z(k: int, lam: float) -> float:
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
