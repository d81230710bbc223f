"""Buckets in, a summary a model can reason over out. Pure: no clock reads, no I/O.

The API leaves out buckets with no traces, so the series is first laid on a gap-filled grid aligned
to multiples of the interval since the epoch: a missing bucket is idle time (zeros), never missing
data. Every figure is computed from every bucket; totals are exact integers, means are weighted by
traces (`sum(avg_latency_ms * trace_count) / sum(trace_count)`), and nothing is rounded here.

Peaks and anomalies are judged on an *analysis grid*: the data grid coarsened until a typical period
holds enough traces to mean something (30 days of 1-minute buckets holding 2 traces each would
otherwise make one failed trace a "100% error spike").
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from statistics import NormalDist, median
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field

from astro_mcp.models import MetricsBucket
from astro_mcp.query import MetricsQuery, describe_minutes, rfc3339

MAX_TABLE_ROWS = 48
MAX_ANOMALIES = 5
MIN_TRACES = 10  # a period with fewer traces is too small to judge its error rate or latency
_WORST = f"the period with {MIN_TRACES}+ traces whose {{}} stands out most; null with fewer than two such periods"
_TARGET_TRACES = 30  # the analysis grid aims for this many traces in an average period
_MIN_PERIODS = 12  # ... but keeps at least this many periods
LATENCY_Z = 4.0  # robust deviations (MAD) above the median latency that make an anomaly
_FALSE_ALARMS = 0.001  # chance per window of flagging an error anomaly in data without one
_MAD_SCALE = 1.4826  # MAD -> standard deviation for normal data
_NORMAL = NormalDist()
N = TypeVar("N", int, float)
_NICE_MINUTES = (1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440, 2880, 4320, 10080, 20160, 40320)
COLUMNS = ("start", "trace_count", "error_count", "avg_latency_ms", "input_tokens", "output_tokens")


# --- structured output: these models are the tool's outputSchema -------------------------------


class Window(BaseModel):
    start: str = Field(description="Start of the window, RFC 3339 UTC")
    end: str = Field(description="End of the window (exclusive), RFC 3339 UTC")
    interval_minutes: int = Field(description="Bucket size the API was asked for, in minutes")
    bucket_count: int = Field(description="Buckets in the window, idle ones included")


class Totals(BaseModel):
    trace_count: int
    error_count: int
    input_tokens: int
    output_tokens: int


class TokensPerTrace(BaseModel):
    input: float
    output: float


class Period(BaseModel):
    """One period of the analysis grid, and how it compares with the window's typical period."""

    start: str = Field(description="RFC 3339 UTC")
    minutes: int
    value: float = Field(description="traces, error rate (0..1) or latency in ms, by context")
    baseline: float | None = Field(
        description="typical value: median latency, or the pooled error rate, of periods with enough traces"
    )
    trace_count: int
    error_count: int


class Anomaly(BaseModel):
    """A run of consecutive periods whose error rate (Poisson tail) or latency (median + MAD) stands out."""

    metric: Literal["error_rate", "avg_latency_ms"]
    start: str = Field(description="RFC 3339 UTC")
    end: str = Field(description="RFC 3339 UTC, exclusive")
    peak_time: str
    peak: float
    baseline: float
    score: float = Field(
        description="how far the peak stands out, as a z-score: for latency, robust deviations (MAD) above the "
        "median; for errors, how unlikely that many errors are at the typical rate"
    )
    trace_count: int
    error_count: int


class Change(BaseModel):
    first_half: float | None
    second_half: float | None
    direction: Literal["up", "down", "steady", "unknown"]


class Trend(BaseModel):
    traces_per_hour: Change
    error_rate: Change
    avg_latency_ms: Change


class Idle(BaseModel):
    idle_buckets: int = Field(description="buckets with no traces (the API leaves them out)")
    longest_start: str | None
    longest_end: str | None
    longest_minutes: int


def _plain_rows(schema: dict[str, Any]) -> None:
    """Publish rows as plain arrays: per-cell schemas make clients' JSON Schema checks three times slower."""
    schema["items"] = {"type": "array"}


class Table(BaseModel):
    interval_minutes: int = Field(description="size of one row; coarser than the data when it had too many buckets")
    columns: list[str]
    rows: list[tuple[str, int, int, float | None, int, int]] = Field(
        description="one row per period, 6 values in the order of `columns`; avg_latency_ms rounded to 0.1 ms, "
        "null when the period had no traces",
        json_schema_extra=_plain_rows,
    )


class MetricsSummary(BaseModel):
    """Metrics of one agent over one window, summarized from every bucket."""

    account: str
    name: str
    window: Window
    totals: Totals
    error_rate: float | None = Field(description="errors / traces over the window, 0..1; null without traces")
    avg_latency_ms: float | None = Field(description="trace-weighted mean latency; null without traces")
    tokens_per_trace: TokensPerTrace | None
    traces_per_hour: float
    analysis_minutes: int = Field(description="period length used for peaks and anomalies")
    busiest: Period | None
    quietest: Period | None = Field(
        description="quietest complete period that had traffic; null when that is the busiest period"
    )
    worst_error_rate: Period | None = Field(description=_WORST.format("error rate"))
    worst_latency: Period | None = Field(description=_WORST.format("mean latency"))
    anomalies: list[Anomaly]
    more_anomalies: int = Field(description="anomalies found beyond those listed")
    trend: Trend
    idle: Idle
    notes: list[str]
    table: Table


# --- the series -----------------------------------------------------------------------------


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

    def __len__(self) -> int:
        return len(self.traces)

    def time(self, i: int) -> int:
        return self.t0 + i * self.step

    def latency(self, i: int) -> float | None:
        return self.latency_sum[i] / self.traces[i] if self.traces[i] else None

    def regroup(self, step: int) -> Series:
        """The same data in coarser items of `step` seconds (a multiple of ours), aligned to the epoch."""
        if step == self.step:
            return self
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

    def columns(self) -> tuple[list[int], list[int], list[float], list[int], list[int]]:
        return self.traces, self.errors, self.latency_sum, self.input_tokens, self.output_tokens


def lay_on_grid(
    buckets: Sequence[MetricsBucket], interval_minutes: int, start: datetime, end: datetime
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


# --- the summary ----------------------------------------------------------------------------


def summarize(
    query: MetricsQuery, buckets: Sequence[MetricsBucket], interval_minutes: int, now: datetime
) -> MetricsSummary:
    """Summarize `buckets` (as the API returned them, at `interval_minutes`) over `query`'s window."""
    series, notes = lay_on_grid(buckets, interval_minutes, query.start, query.end)
    notes = list(query.notes) + notes
    if interval_minutes != query.interval_minutes:
        notes.append(
            f"The API answered with {describe_minutes(interval_minutes)} buckets although "
            f"{describe_minutes(query.interval_minutes)} were asked for; figures use what it sent."
        )
    start, end = int(query.start.timestamp()), int(query.end.timestamp())
    totals = Totals(
        trace_count=sum(series.traces),
        error_count=sum(series.errors),
        input_tokens=sum(series.input_tokens),
        output_tokens=sum(series.output_tokens),
    )
    traces = totals.trace_count
    latency_total = math.fsum(series.latency_sum)
    hours = (end - start) / 3600
    notes.extend(_edge_notes(series, start, end, query.is_live(now)))

    analysis = series.regroup(_analysis_step(series, traces))
    full = [i for i in range(len(analysis)) if _covered(analysis, i, start, end) == analysis.step]
    eligible = [i for i in range(len(analysis)) if analysis.traces[i] >= MIN_TRACES]
    if traces and not eligible:
        notes.append(
            f"No {describe_minutes(analysis.step // 60)} period has {MIN_TRACES} or more traces, so no period's "
            "error rate or latency is judged against a typical value."
        )
    with_traffic = [i for i in full if analysis.traces[i]]
    busiest = max(range(len(analysis)), key=analysis.traces.__getitem__) if traces else None
    quietest = min(with_traffic, key=analysis.traces.__getitem__) if with_traffic else None
    errors = _ErrorJudge(analysis, eligible, (start, end))
    latency = _LatencyJudge(analysis, eligible, (start, end))
    anomalies = sorted(errors.episodes() + latency.episodes(), key=lambda a: (-a.score, a.start))
    return MetricsSummary(
        account=query.account,
        name=query.name,
        window=Window(
            start=rfc3339(query.start),
            end=rfc3339(query.end),
            interval_minutes=interval_minutes,
            bucket_count=len(series),
        ),
        totals=totals,
        error_rate=totals.error_count / traces if traces else None,
        avg_latency_ms=latency_total / traces if traces else None,
        tokens_per_trace=TokensPerTrace(input=totals.input_tokens / traces, output=totals.output_tokens / traces)
        if traces
        else None,
        traces_per_hour=traces / hours,
        analysis_minutes=analysis.step // 60,
        busiest=_period(analysis, busiest, None) if busiest is not None else None,
        quietest=_period(analysis, quietest, None) if quietest not in (None, busiest) else None,
        worst_error_rate=errors.worst(),
        worst_latency=latency.worst(),
        anomalies=anomalies[:MAX_ANOMALIES],
        more_anomalies=max(0, len(anomalies) - MAX_ANOMALIES),
        trend=_trend(series, start, end),
        idle=_idle(series, start, end),
        notes=notes,
        table=_table(series, analysis)
        if traces
        else Table(interval_minutes=interval_minutes, columns=list(COLUMNS), rows=[]),
    )


def _covered(series: Series, i: int, start: int, end: int) -> int:
    """Seconds of item i that lie inside [start, end)."""
    return max(0, min(series.time(i + 1), end) - max(series.time(i), start))


def _edge_notes(series: Series, start: int, end: int, live: bool) -> list[str]:
    notes = []
    minutes = series.step // 60
    if start != series.t0:
        covered = _covered(series, 0, start, end) // 60
        notes.append(
            f"The first bucket ({_stamp(series.t0)}) covers only {covered} of its {minutes} minutes: "
            "the window starts inside it, so its counts are partial."
        )
    last = len(series) - 1
    if live:
        notes.append(
            f"The window ends now: the last bucket ({_stamp(series.time(last))}) is still filling and the "
            "newest traces may not be ingested yet, so its counts will grow."
        )
    elif end != series.time(last + 1) and last > 0:
        covered = _covered(series, last, start, end) // 60
        notes.append(
            f"The last bucket ({_stamp(series.time(last))}) covers only {covered} of its {minutes} minutes: "
            "the window ends inside it, so its counts are partial."
        )
    return notes


def _analysis_step(series: Series, traces: int) -> int:
    """The coarsest step needed for an average period to hold enough traces, keeping enough periods."""
    n = len(series)
    if traces == 0:
        return series.step
    factor = min(math.ceil(_TARGET_TRACES * n / traces), max(1, n // _MIN_PERIODS))
    return _nice_step(series.step, factor)


def _nice_step(step: int, factor: int) -> int:
    """The smallest round multiple of `step` that is at least `factor` times it."""
    minutes = step // 60
    for nice in _NICE_MINUTES:
        if nice >= minutes * factor and nice % minutes == 0:
            return nice * 60
    return step * factor


def _period(series: Series, i: int, baseline: float | None, value: float | None = None) -> Period:
    return Period(
        start=_iso(series.time(i)),
        minutes=series.step // 60,
        value=float(series.traces[i]) if value is None else value,
        baseline=baseline,
        trace_count=series.traces[i],
        error_count=series.errors[i],
    )


class _Judge:
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
        return _period(self.series, i, self.baseline, self.value(i))

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
            start=_iso(max(s.time(run[0]), self.window[0])),
            end=_iso(min(s.time(run[-1] + 1), self.window[1])),
            peak_time=_iso(max(s.time(peak), self.window[0])),
            peak=self.value(peak),
            baseline=self.baseline or 0.0,
            score=scores[run[0]],
            trace_count=sum(s.traces[j] for j in span),
            error_count=sum(s.errors[j] for j in span),
        )


class _ErrorJudge(_Judge):
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


class _LatencyJudge(_Judge):
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


def _trend(series: Series, start: int, end: int) -> Trend:
    """The first half of the window against the second; a bucket goes to the half its midpoint is in."""
    middle = (start + end) / 2
    k = min(len(series), max(0, math.ceil((middle - series.t0 - series.step / 2) / series.step)))
    boundary = min(max(series.time(k), start), end)
    t1, t2 = sum(series.traces[:k]), sum(series.traces[k:])
    e1, e2 = sum(series.errors[:k]), sum(series.errors[k:])
    l1, l2 = math.fsum(series.latency_sum[:k]), math.fsum(series.latency_sum[k:])
    s1, s2 = boundary - start, end - boundary
    return Trend(
        traces_per_hour=_change(t1 * 3600 / s1 if s1 else None, t2 * 3600 / s2 if s2 else None, 0.10, 0),
        error_rate=_change(e1 / t1 if t1 else None, e2 / t2 if t2 else None, 0.25, 0.005),
        avg_latency_ms=_change(l1 / t1 if t1 else None, l2 / t2 if t2 else None, 0.10, 0),
    )


def _change(first: float | None, second: float | None, relative: float, absolute: float) -> Change:
    """Up or down when the halves differ by more than `relative` of the first and `absolute` too."""
    if first is None or second is None:
        direction: Literal["up", "down", "steady", "unknown"] = "unknown"
    elif abs(second - first) <= max(relative * first, absolute):
        direction = "steady"
    else:
        direction = "up" if second > first else "down"
    return Change(first_half=first, second_half=second, direction=direction)


def _idle(series: Series, start: int, end: int) -> Idle:
    """Idle buckets, and the longest idle stretch, told within the window [start, end)."""
    longest = best_start = run = 0
    for i, traces in enumerate(series.traces):
        run = run + 1 if traces == 0 else 0
        if run > longest:
            longest, best_start = run, i - run + 1
    if not longest:
        return Idle(idle_buckets=0, longest_start=None, longest_end=None, longest_minutes=0)
    first, last = max(series.time(best_start), start), min(series.time(best_start + longest), end)
    return Idle(
        idle_buckets=series.traces.count(0),
        longest_start=_iso(first),
        longest_end=_iso(last),
        longest_minutes=(last - first) // 60,
    )


def _table(series: Series, analysis: Series) -> Table:
    """At most MAX_TABLE_ROWS rows: coarser rows (counts summed, latency trace-weighted) when needed."""
    factor = -(-len(series) // MAX_TABLE_ROWS)
    while True:
        step = _nice_step(series.step, factor)
        # Regrouping the (smaller) analysis series gives the same rows when its step divides ours.
        rows = (analysis if step % analysis.step == 0 else series).regroup(step)
        if len(rows) <= MAX_TABLE_ROWS:
            break
        factor += 1
    return Table(
        interval_minutes=rows.step // 60,
        columns=list(COLUMNS),
        rows=[
            (
                _iso(rows.time(i)),
                rows.traces[i],
                rows.errors[i],
                _round(rows.latency(i)),
                rows.input_tokens[i],
                rows.output_tokens[i],
            )
            for i in range(len(rows))
        ],
    )


def _round(latency: float | None) -> float | None:
    return None if latency is None else round(latency, 1)


def _iso(ts: int) -> str:
    return rfc3339(datetime.fromtimestamp(ts, UTC))


def _stamp(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%b %d %H:%M UTC")
