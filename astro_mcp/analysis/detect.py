"""The detection engine: what kind of trouble an agent is in, since when, and whether it still is.

Pure: series in (gap-filled, at any resolution), findings out; `now` is passed in, never read.

For each per-trace signal (error rate, mean latency, tokens per trace) every period with enough traces
is scored against the typical level: errors by a Poisson tail at the typical rate, means in trace-weighted
robust deviations. Runs of elevated periods are pooled (a stretch of quiet periods is judged on its
evidence together); runs separated only by periods that are not clearly clean are one episode. Then:

- one episode still going is a *regression* (a step), or a *drift* when a steady rise from an onset fits
  better than any step;
- one that ended is a *spike* when short, *recovered* when it lasted hours;
- three or more episodes alternating with clean stretches are *flapping*, `recurring` until the agent has
  been clean for three of its own cycles;
- traffic far below what this agent sends at those hours is *silence*: an outage.

A run must stand out beyond chance over all the periods tested (false alarms at most `ALPHA` per signal
and window), and no period with fewer than `MIN_TRACES` traces is judged alone.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Literal

from astro_mcp.analysis.baseline import RATES, Baseline, Column, Level, Signal, learn
from astro_mcp.analysis.changepoint import drift
from astro_mcp.analysis.grid import Series, analysis_step, nice_step
from astro_mcp.analysis.results.metrics import MIN_TRACES
from astro_mcp.analysis.robust import threshold, upper_z
from astro_mcp.analysis.silence import Silence, silences

Kind = Literal["spike", "regression", "drift", "flapping", "silence", "recovered"]
State = Literal["ongoing", "over", "recurring"]
Status = Literal["outage", "incident", "degraded", "recovered", "healthy", "no_traffic"]

ALPHA = 0.002  # chance per signal and window of a false alarm on healthy data
RISE = 1.3  # a mean must be this many times its typical value to matter
MIN_Z = 4.0  # the least evidence an episode needs, however few periods were tested
_ELEVATED = 2.0  # a period's z-score that starts or extends a run
_CANDIDATE = 3.0  # a run's pooled z-score that makes it part of a flapping pattern
_GAP = 3.0  # log-likelihood ratio by which a stretch must favour typical over an episode's level to split it
_BRIEF = 4  # a clean stretch this many times shorter than the bad ones on both sides is a dip, not an end
_FLAP_RUNS = 3  # bad stretches that make flapping
_CLEAN_CYCLES = 3  # a flapping pattern is over after this many of its cycles clean
_LOOK_BACK = 6 * 3600  # how far back an onset may move before the first conclusive period (the CUSUM stops it)
LONG = 3 * 3600  # an episode that ended after lasting this long (and 3 periods) has *recovered*; shorter: a spike
RECENT = 86400  # a finding that ended this recently makes the status "recovered"
# Traces in an average analysis period. Errors are counts, tested exactly: a fine grid sees a pattern of
# 20-minute stretches. A mean of latencies with a heavy tail needs more traces before it means anything.
_TARGET: dict[Signal, int] = {"error_rate": MIN_TRACES, "avg_latency_ms": 50, "tokens_per_trace": 50}
_PERIODS = 6  # ... keeping at least this many periods
# A mean's rise counts only beyond what a wild trace or two could add: its extra time (or tokens) must come
# to more than this many typical traces' worth (twice that for a lone period). One 5-second timeout on a
# 250 ms agent adds 19; four in a quiet hour of 30 traces at 400 ms, 46. Wild traces that recur are the
# heavy tail the baseline models.
MIN_EXCESS = 30
_URGENCY: dict[Signal, int] = {"traffic": 0, "error_rate": 1, "avg_latency_ms": 2, "tokens_per_trace": 3}


@dataclass(frozen=True)
class Finding:
    """One thing that happened to one signal: its kind, its state now, and its evidence."""

    kind: Kind
    state: State
    signal: Signal
    start: int  # epoch seconds: onset, to `resolution`
    end: int | None  # when it ended (over) or was last bad (recurring); None while ongoing
    level: float  # the signal during it: pooled over its bad periods
    typical: float
    peak: float
    peak_time: int
    score: float  # pooled z-score of its evidence
    traces: int  # over its whole span
    errors: int
    resolution: int  # seconds
    per_hour: float | None = None  # drift: relative rise per hour
    cycle: int | None = None  # flapping: seconds between the starts of its bad stretches


@dataclass(frozen=True)
class Diagnosis:
    findings: list[Finding]  # most urgent first
    baseline: Baseline
    step: int  # the analysis period, in seconds
    now: int
    start: int  # where the data judged begins

    @property
    def status(self) -> Status:
        return status_of(self.findings, self.now, traffic=self.baseline.since is not None)


def status_of(findings: list[Finding], now: int, traffic: bool) -> Status:
    """outage: silence now; incident: errors or latency unusual now; degraded: only tokens unusual now;
    recovered: something ended within the last day; else healthy (or no_traffic without any traces)."""
    current = [f for f in findings if f.state != "over"]
    if any(f.signal == "traffic" for f in current):
        return "outage"
    if any(f.signal in ("error_rate", "avg_latency_ms") for f in current):
        return "incident"
    if current:
        return "degraded"
    if any(f.end is not None and now - f.end <= RECENT for f in findings):
        return "recovered"
    return "healthy" if traffic else "no_traffic"


def diagnose(series: Series, now: int, baseline: Baseline | None = None, start: int | None = None) -> Diagnosis:
    """Every finding in `series` up to `now`, judged against `baseline` (learnt from `series` if not given).

    `start` is where the data begins when its first item is only partly covered (default: the first item's start).
    """
    begins = series.t0 if start is None else start
    base = baseline or learn(series, now, begins)
    quiet = silences(series, (begins, now), base, ALPHA)
    stop = next((s.start for s in quiet if s.ongoing), None)
    findings = [_silence(s, series, base, now) for s in quiet]
    for signal in RATES:
        level = base.levels.get(signal)
        if level is not None:
            findings += _Detector(_grid(series, signal, level), signal, level, now, stop).findings()
    findings.sort(key=lambda f: (f.state == "over", _URGENCY[f.signal], -(f.end or now)))
    return Diagnosis(findings, base, analysis_step(series, _TARGET["error_rate"], _PERIODS), now, begins)


def _grid(series: Series, signal: Signal, level: Level) -> Series:
    """The analysis grid of one signal. Errors are counts, tested exactly at any size; a mean is judged on
    periods no shorter than those its noise was learnt on (rare huge traces average out over longer ones)."""
    step = analysis_step(series, _TARGET[signal], _PERIODS)
    if signal != "error_rate" and step < level.step:
        step = nice_step(series.step, -(-level.step // series.step))
    return series.regroup(step)


def _silence(s: Silence, series: Series, base: Baseline, now: int) -> Finding:
    """A silence as a finding: traffic per hour during it, against what the agent normally sends then (for
    one still going, in the last hour)."""
    hours = max(s.end - s.start, 1) / 3600
    typical = base.expected(now - 3600, 3600)[0] if s.ongoing else s.expected / hours
    return Finding(
        "silence",
        "ongoing" if s.ongoing else "over",
        "traffic",
        s.start,
        None if s.ongoing else s.end,
        s.observed / hours,
        typical,
        s.observed,
        s.start,
        s.score,
        s.observed,
        sum(series.errors[i] for i in series.overlapping(s.start, s.end)),
        series.step,
    )


class _Detector:
    """The episodes of one per-trace signal on the analysis grid."""

    def __init__(self, s: Series, signal: Signal, level: Level, now: int, silent_since: int | None) -> None:
        self.s, self.signal, self.typical, self.level = s, signal, level.value, level
        self.column = Column(s, signal)
        self.noise = max(level.noise, 0.3 * level.value, 1e-9)
        self.complete = max(0, min(len(s), (now - s.t0) // s.step))
        self.silent_since = silent_since
        self.judged = [i for i in range(self.complete) if s.traces[i] >= MIN_TRACES]
        self.bar = max(threshold(ALPHA, len(self.judged)), MIN_Z)

    def above(self, ids: range | list[int]) -> float:
        """Pooled evidence that items `ids` sit above the typical level, as a z-score (0 when too small to matter)."""
        v, n = self.column.pooled(ids)
        b = self.typical
        if n < MIN_TRACES:
            return 0.0
        if self.signal == "error_rate":
            errors = round(v * n)
            return upper_z(errors, n * max(b, 1e-4)) if errors >= 3 and v >= b + max(0.02, 0.5 * b) else 0.0
        if v < RISE * b or (v - b) * n < MIN_EXCESS * b:
            return 0.0
        z = (v - b) * math.sqrt(n) / self.noise
        tail = self.level.tail
        if tail:  # the excess as a count of rare huge traces, against how many usually come
            z = min(z, upper_z(int((v - b) * n / tail), n * self.level.tail_rate))
        return z

    def clean(self, ids: range, level: float) -> bool:
        """Items `ids` are back to normal: not above typical, and likelier at typical than at `level` by a
        clear margin (a few chance-low periods inside an episode are not)."""
        if self.above(ids) >= _ELEVATED:
            return False
        return sum(self._llr(i, level) for i in ids) <= -_GAP

    def findings(self) -> list[Finding]:
        runs = self._runs()
        runs = [r for r in runs if self.above(range(r[0], r[1] + 1)) >= _CANDIDATE]
        found: list[Finding] = []
        k = 0
        while k < len(runs):
            chain = [runs[k]]
            while k + len(chain) < len(runs) and self._linked(chain[-1], runs[k + len(chain)]):
                chain.append(runs[k + len(chain)])
            k += len(chain)
            gaps = [i for a, b in itertools.pairwise(chain) for i in range(a[1] + 1, b[0])]
            if len(chain) > 1 and self.above(gaps) >= _ELEVATED:
                chain = [(chain[0][0], chain[-1][1])]  # still elevated between its worst stretches: one episode
            ids = [i for first, last in chain for i in range(first, last + 1)]
            if len(chain) >= _FLAP_RUNS and self.above(ids) >= self.bar:
                found.append(self._flapping(chain, ids))
                continue
            following = [run[0] for run in chain[1:]] + [runs[k][0] if k < len(runs) else None]
            for (first, last), after in zip(chain, following, strict=True):
                if self._stands_out(first, last):
                    floor = found[-1].end if found and found[-1].end is not None else None
                    found.append(self._episode(first, last, after, self._index(floor)))
        return found

    def _index(self, moment: int | None) -> int:
        """The item that starts at or after `moment` (0 for none)."""
        return 0 if moment is None else max(0, -(-(moment - self.s.t0) // self.s.step))

    def _stands_out(self, first: int, last: int) -> bool:
        """Items `first`..`last` are an episode: beyond chance over all periods tested. A lone period's mean can
        be made by a few extreme traces (timeouts): it needs twice the evidence, and twice the extra time."""
        ids = range(first, last + 1)
        if self.signal == "error_rate" or sum(1 for i in self.judged if first <= i <= last) > 1:
            return self.above(ids) >= self.bar
        v, n = self.column.pooled(ids)
        return self.above(ids) >= 2 * self.bar and (v - self.typical) * n >= 2 * MIN_EXCESS * self.typical

    def _runs(self) -> list[tuple[int, int]]:
        """Runs of elevated periods, merged across stretches that are not clearly clean, or brief beside them."""
        runs: list[tuple[int, int]] = []
        extend = False
        for i in self.judged:
            if self.above([i]) < _ELEVATED:
                extend = False
            elif extend:
                runs[-1] = (runs[-1][0], i)
            else:
                runs.append((i, i))
                extend = True
        merged: list[tuple[int, int]] = []
        bad: list[list[int]] = []  # the elevated periods of each merged run
        for run in runs:
            ids = [i for i in self.judged if run[0] <= i <= run[1]]
            if merged:
                first, last = merged[-1]
                brief = _BRIEF * (run[0] - last - 1) < min(last - first, run[1] - run[0]) + 1
                if brief or not self.clean(
                    range(last + 1, run[0]), self._level(bad[-1] + ids, range(first, run[1] + 1))
                ):
                    merged[-1] = (first, run[1])
                    bad[-1] += ids
                    continue
            merged.append(run)
            bad.append(ids)
        return merged

    def _level(self, worst: list[int], span: range) -> float:
        """An episode's level, to tell its quiet stretches from clean ones: the level of its whole span, or
        halfway from typical to its worst periods if higher (those were chosen for being high)."""
        high = self.column.pooled(worst)[0]
        return max(self.column.pooled(span)[0], (high + self.typical) / 2)

    def _linked(self, a: tuple[int, int], b: tuple[int, int]) -> bool:
        """Two bad stretches close enough to be one pattern."""
        gap = b[0] - a[1] - 1
        return gap <= max(6, 4 * max(a[1] - a[0] + 1, b[1] - b[0] + 1))

    def _ended(self, last: int, following: int | None = None) -> int | None:
        """When the episode ending at item `last` ended (epoch seconds), or None if it still goes on.

        An episode followed by another of the same signal ended: a clean stretch keeps them apart.
        """
        end = self.s.time(last + 1)
        if self.silent_since is not None and self.silent_since <= end:
            return self.silent_since  # traffic stopped: nothing is failing any more, nothing is served either
        if following is not None:
            return end
        after = range(last + 1, self.complete)
        level = self.column.pooled(range(last, last + 1))[0]
        return end if after and self.clean(after, max(level, self.typical * RISE)) else None

    def _onset(self, first: int, last: int, floor: int) -> int:
        """Where the episode at items `first`..`last` began: the run start moved back while the periods before
        it are likelier at the episode's level than at the typical one (a CUSUM of the log-likelihood ratio),
        so the first bad periods count even when none was conclusive alone."""
        level = self.column.pooled([i for i in self.judged if first <= i <= last])[0]
        total = best = 0.0
        onset = first
        for i in range(first - 1, max(floor, first - _LOOK_BACK // self.s.step) - 1, -1):
            total += self._llr(i, level)
            if total > best:
                best, onset = total, i
        return onset

    def _llr(self, i: int, level: float) -> float:
        """Log-likelihood ratio of item i at `level` against the typical value."""
        v, n = self.column.at[i], self.s.traces[i]
        b = max(self.typical, 1e-9)
        if not n:
            return 0.0
        if self.signal == "error_rate":
            return v * n * math.log(max(level, 1e-9) / b) - n * (level - b)
        return n * (level - b) * (v - (b + level) / 2) / self.noise**2

    def _episode(self, first: int, last: int, following: int | None, floor: int) -> Finding:
        s = self.s
        ended = self._ended(last, following)
        start = s.time(self._onset(first, last, floor))
        if ended is None:
            onset = self._drift_onset()
            kind: Kind = "regression" if onset is None else "drift"
            if onset is not None:
                start = min(start, onset[0])
            return self._finding(kind, "ongoing", first, last, start, None, per_hour=onset[1] if onset else None)
        lasted = ended - start
        kind = "recovered" if lasted >= LONG and last - first >= 2 else "spike"
        return self._finding(kind, "over", first, last, start, ended)

    def _flapping(self, chain: list[tuple[int, int]], ids: list[int]) -> Finding:
        s = self.s
        starts = [s.time(first) for first, _ in chain]
        cycle = sorted(b - a for a, b in itertools.pairwise(starts))[(len(starts) - 2) // 2]
        last = chain[-1][1]
        ended = self._ended(last)
        clean_for = self.complete * s.step + s.t0 - s.time(last + 1)
        over = ended is not None and clean_for >= _CLEAN_CYCLES * cycle
        state: State = "over" if over else "recurring"
        end = ended if ended is not None else s.time(last + 1)
        return self._finding("flapping", state, chain[0][0], last, starts[0], end, bad=ids, cycle=cycle)

    def _drift_onset(self) -> tuple[int, float] | None:
        """(onset, rise per hour) of a steady rise up to now, when it fits better than a step."""
        ids = self.judged
        floor = max(self.typical * 0.1, 1e-6)
        cap = 2 * sorted(self.s.traces[i] for i in ids)[len(ids) // 2] if ids else 0
        found = drift(
            [self.s.time(i) + self.s.step / 2 for i in ids],
            [math.log(max(self.column.at[i], floor)) for i in ids],
            [float(min(self.s.traces[i], cap)) for i in ids],
        )
        if found is None:
            return None
        onset = self.s.t0 + int(found.onset - self.s.t0) // self.s.step * self.s.step
        return onset, found.per_hour

    def _finding(
        self,
        kind: Kind,
        state: State,
        first: int,
        last: int,
        start: int,
        end: int | None,
        bad: list[int] | None = None,
        per_hour: float | None = None,
        cycle: int | None = None,
    ) -> Finding:
        s = self.s
        span = range(first, last + 1)
        bad_ids = bad if bad is not None else [i for i in span if s.traces[i]]
        judged = [i for i in bad_ids if s.traces[i] >= MIN_TRACES] or bad_ids
        peak = max(judged, key=lambda i: self.column.at[i])
        return Finding(
            kind,
            state,
            self.signal,
            start,
            end,
            self.column.pooled(bad_ids)[0],
            self.typical,
            self.column.at[peak],
            s.time(peak),
            self.above(bad_ids),
            sum(s.traces[i] for i in span),
            sum(s.errors[i] for i in span),
            s.step,
            per_hour,
            cycle,
        )
