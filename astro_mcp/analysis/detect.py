"""The detection engine: what kind of trouble an agent is in, since when, and whether it still is.

Pure: series in (gap-filled, at any resolution), findings out; `now` is passed in, never read.

For each per-trace signal (error rate, mean latency, tokens per trace) every period with enough traces
is scored against the typical level (`episode.Evidence`). Here the episodes are found: runs of elevated
periods are pooled (a stretch of quiet periods is judged on its evidence together); runs separated only by
periods that are not clearly clean are one episode. Then `episode.Labeller` names each:

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
from dataclasses import dataclass
from typing import Literal

from astro_mcp.analysis.baseline import RATES, Baseline, Level, Signal, learn
from astro_mcp.analysis.episode import ELEVATED, MIN_EXCESS, Finding, Labeller
from astro_mcp.analysis.grid import Series, analysis_step, nice_step
from astro_mcp.analysis.results.metrics import MIN_TRACES
from astro_mcp.analysis.robust import threshold
from astro_mcp.analysis.silence import Silence, silences

Status = Literal["outage", "incident", "degraded", "recovered", "healthy", "no_traffic"]

ALPHA = 0.002  # chance per signal and window of a false alarm on healthy data
MIN_Z = 4.0  # the least evidence an episode needs, however few periods were tested
_CANDIDATE = 3.0  # a run's pooled z-score that makes it part of a flapping pattern
_BRIEF = 4  # a clean stretch this many times shorter than the bad ones on both sides is a dip, not an end
_FLAP_RUNS = 3  # bad stretches that make flapping
RECENT = 86400  # a finding that ended this recently makes the status "recovered"
# Traces in an average analysis period. Errors are counts, tested exactly: a fine grid sees a pattern of
# 20-minute stretches. A mean of latencies with a heavy tail needs more traces before it means anything.
_TARGET: dict[Signal, int] = {"error_rate": MIN_TRACES, "avg_latency_ms": 50, "tokens_per_trace": 50}
_PERIODS = 6  # ... keeping at least this many periods
_URGENCY: dict[Signal, int] = {"traffic": 0, "error_rate": 1, "avg_latency_ms": 2, "tokens_per_trace": 3}


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
            findings += _Search(_grid(series, signal, level), signal, level, now, stop).findings()
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


class _Search(Labeller):
    """Where the episodes of one per-trace signal are on its analysis grid: runs of elevated periods, pooled."""

    def __init__(self, s: Series, signal: Signal, level: Level, now: int, silent_since: int | None) -> None:
        super().__init__(s, signal, level, now, silent_since)
        self.bar = max(threshold(ALPHA, len(self.judged)), MIN_Z)

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
            if len(chain) > 1 and self.above(gaps) >= ELEVATED:
                chain = [(chain[0][0], chain[-1][1])]  # still elevated between its worst stretches: one episode
            ids = [i for first, last in chain for i in range(first, last + 1)]
            if len(chain) >= _FLAP_RUNS and self.above(ids) >= self.bar:
                found.append(self.flapping(chain, ids))
                continue
            following = [run[0] for run in chain[1:]] + [runs[k][0] if k < len(runs) else None]
            for (first, last), after in zip(chain, following, strict=True):
                if self._stands_out(first, last):
                    floor = found[-1].end if found and found[-1].end is not None else None
                    found.append(self.episode(first, last, after, self._index(floor)))
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
            if self.above([i]) < ELEVATED:
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
