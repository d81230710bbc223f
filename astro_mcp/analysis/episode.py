"""One episode of one per-trace signal: the evidence for it, and what it is called.

`Evidence` scores the periods of one signal on its analysis grid against the signal's typical level:
errors by a Poisson tail at the typical rate, means in trace-weighted robust deviations (a rise must be
large and more than a wild trace or two could make). `Labeller` names an episode the search found
(`detect`): its kind (spike, recovered, regression, drift, flapping), its state now, its onset (moved back
while the periods before it look more like the episode than like typical: a CUSUM) and its end.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from astro_mcp.analysis.baseline import Column, Level, Signal
from astro_mcp.analysis.changepoint import drift
from astro_mcp.analysis.grid import Series
from astro_mcp.analysis.results.metrics import MIN_TRACES, Kind, State
from astro_mcp.analysis.robust import upper_z

RISE = 1.3  # a mean must be this many times its typical value to matter
ELEVATED = 2.0  # a period's z-score that starts or extends a run
_GAP = 3.0  # log-likelihood ratio by which a stretch must favour typical over an episode's level to split it
_CLEAN_CYCLES = 3  # a flapping pattern is over after this many of its cycles clean
_LOOK_BACK = 6 * 3600  # how far back an onset may move before the first conclusive period (the CUSUM stops it)
LONG = 3 * 3600  # an episode that ended after lasting this long (and 3 periods) has *recovered*; shorter: a spike
# A mean's rise counts only beyond what a wild trace or two could add: its extra time (or tokens) must come
# to more than this many typical traces' worth (twice that for a lone period). One 5-second timeout on a
# 250 ms agent adds 19; four in a quiet hour of 30 traces at 400 ms, 46. Wild traces that recur are the
# heavy tail the baseline models.
MIN_EXCESS = 30


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


class Evidence:
    """How far periods of one per-trace signal, on its analysis grid, sit above its typical level."""

    def __init__(self, s: Series, signal: Signal, level: Level, now: int, silent_since: int | None) -> None:
        self.s, self.signal, self.typical, self.level = s, signal, level.value, level
        self.column = Column(s, signal)
        self.noise = max(level.noise, 0.3 * level.value, 1e-9)
        self.complete = self.whole = max(0, min(len(s), (now - s.t0) // s.step))
        # A long period (an hour, for a mean) that is half over and already holds a full period's traces is
        # judged: a regression that began half an hour ago is not left unseen until the hour ends. It can
        # start or extend an episode, never end one: the rest of the period may still go either way.
        if (
            self.complete < len(s)
            and s.step > 600
            and now - s.time(self.complete) >= s.step // 2
            and s.traces[self.complete] >= 5 * MIN_TRACES
        ):
            self.complete += 1
        self.silent_since = silent_since
        self.judged = [i for i in range(self.complete) if s.traces[i] >= MIN_TRACES]

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
        if self.above(ids) >= ELEVATED:
            return False
        return sum(self._llr(i, level) for i in ids) <= -_GAP

    def _llr(self, i: int, level: float) -> float:
        """Log-likelihood ratio of item i at `level` against the typical value."""
        v, n = self.column.at[i], self.s.traces[i]
        b = max(self.typical, 1e-9)
        if not n:
            return 0.0
        if self.signal == "error_rate":
            return v * n * math.log(max(level, 1e-9) / b) - n * (level - b)
        return n * (level - b) * (v - (b + level) / 2) / self.noise**2


class Labeller(Evidence):
    """What the episodes of one signal are called: kind, state, onset and end."""

    def _ended(self, first: int, last: int, following: int | None = None) -> int | None:
        """When the episode ending at item `last` ended (epoch seconds), or None if it still goes on.

        An episode followed by another of the same signal ended: a clean stretch keeps them apart.
        """
        end = self.s.time(last + 1)
        if self.silent_since is not None and self.silent_since <= end:
            return self.silent_since  # traffic stopped: nothing is failing any more, nothing is served either
        if following is not None:
            return end
        after = range(last + 1, self.whole)
        # back to typical rather than at the episode's level, pooled: not merely below its worst last period
        level = self.column.pooled([i for i in self.judged if first <= i <= last] or [last])[0]
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

    def episode(self, first: int, last: int, following: int | None, floor: int) -> Finding:
        """The episode at items `first`..`last`, before the next one's first item (`following`), with an onset
        no earlier than item `floor`: a spike or recovered when it ended, else a regression or a drift."""
        s = self.s
        ended = self._ended(first, last, following)
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

    def flapping(self, chain: list[tuple[int, int]], ids: list[int]) -> Finding:
        """Bad stretches `chain` (their items `ids`) alternating with clean ones: recurring until clean for
        several of its own cycles."""
        s = self.s
        starts = [s.time(first) for first, _ in chain]
        cycle = sorted(b - a for a, b in itertools.pairwise(starts))[(len(starts) - 2) // 2]
        last = chain[-1][1]
        ended = self._ended(chain[-1][0], last)
        clean_for = self.whole * s.step + s.t0 - s.time(last + 1)
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
