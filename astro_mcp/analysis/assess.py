"""The one "now": the agent's state judged the same way whatever window a question is about.

Two views of the most recent data are combined: a long coarse one (a week of hourly buckets, say), which
sets the baseline and sees slow things (a drift, a recovery, a silence against the hour's usual traffic),
and a short fine one (the last hours at 5 minutes), which sees fast ones (a flapping pattern, the minute
an episode began or ended). Where both see the same signal in trouble, they are one finding: its state
and end from the fine view, its kind from the view that can tell it, its onset from the coarse view when
the fine one began too late to see it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from astro_mcp.analysis.baseline import HOUR, learn
from astro_mcp.analysis.detect import Diagnosis, diagnose
from astro_mcp.analysis.episode import LONG, Finding
from astro_mcp.analysis.grid import Series, lay_on_grid
from astro_mcp.analysis.results.metrics import Kind
from astro_mcp.domain import Bucket

View = tuple[Sequence[Bucket], int, datetime]  # buckets as the API sent them, their minutes, where they begin


@dataclass(frozen=True)
class Recent:
    """The most recent data, whatever window a question is about: a long coarse view and a short fine one."""

    long: View
    fine: View | None
    now: datetime

    def fine_series(self) -> Series:
        """The fine view (the long one when there is none), on its grid up to now."""
        return _series(self.fine or self.long, self.now)

    def assessed(self) -> Diagnosis:
        now = self.now
        views = [_series(v, now) for v in (self.long, self.fine) if v is not None]
        starts = (int(self.long[2].timestamp()), int((self.fine or self.long)[2].timestamp()))
        return assess(views[0], views[1] if len(views) > 1 else None, int(now.timestamp()), starts)


def _series(view: View, now: datetime) -> Series:
    buckets, minutes, start = view
    return lay_on_grid(buckets, minutes, start, now)[0]


def assess(context: Series, recent: Series | None, now: int, start: tuple[int, int] | None = None) -> Diagnosis:
    """The agent's state at `now`: `context` (long, coarse) refined by `recent` (short, fine).

    `start`: where each view's data begins, when its first item is only partly covered.
    """
    begins = start or (context.t0, recent.t0 if recent is not None else context.t0)
    base = learn(context, now, begins[0])
    coarse = diagnose(context, now, base, begins[0])
    if recent is None:
        return coarse
    fine = diagnose(recent, now, base, begins[1])
    return dataclasses.replace(coarse, findings=combine(coarse, fine))


def combine(coarse: Diagnosis, fine: Diagnosis) -> list[Finding]:
    """The findings of both views, one per episode, most urgent first (the order `diagnose` gives)."""
    bursts = _bursts(coarse, fine)
    used: set[int] = set(bursts)
    found = [_intermittent(coarse.findings[k], fs) for k, fs in bursts.items()]
    absorbed = {id(f) for fs in bursts.values() for f in fs}
    for f in fine.findings:
        if id(f) in absorbed:
            continue
        k = next((k for k, c in enumerate(coarse.findings) if k not in used and _same(c, f, coarse.step)), None)
        if k is None:
            found.append(f)
            continue
        used.add(k)
        # A drop in traffic is placed by the traffic on both sides of it: a quarter of an hour before will do.
        lead = HOUR if f.signal != "traffic" else HOUR // 4
        c = coarse.findings[k]
        if c.state != "over" and f.state == "over" and fine.now - (f.end or fine.now) < SETTLED:
            f = dataclasses.replace(f, kind=c.kind, state=c.state, end=c.end)  # clean for minutes: not yet over
        found.append(_merged(c, f, coarse.step, saw=f.start - fine.start >= lead))
    found += [c for k, c in enumerate(coarse.findings) if k not in used]
    order = {id(f): n for n, f in enumerate(found)}
    return sorted(found, key=lambda f: (f.state == "over", f.signal != "traffic", order[id(f)]))


SETTLED = 1800  # seconds clean before the fine view may end what the long one sees still going


def _bursts(coarse: Diagnosis, fine: Diagnosis) -> dict[int, list[Finding]]:
    """Episodes the long view sees as one still going (or as flapping), which the fine view resolves into
    separate bursts that each ended: an intermittent failure (a job failing every two hours), recurring."""
    found: dict[int, list[Finding]] = {}
    for k, c in enumerate(coarse.findings):
        if c.state == "over" or c.signal == "traffic":
            continue
        inside = [f for f in fine.findings if f.signal == c.signal and f.state == "over" and f.start >= c.start]
        if len(inside) >= (1 if c.kind == "flapping" else 2):
            found[k] = sorted(inside, key=lambda f: f.start)
    return found


def _intermittent(c: Finding, bursts: list[Finding]) -> Finding:
    """One recurring finding from the long view's episode and the fine view's bursts within it."""
    traces = sum(f.traces for f in bursts)
    worst = max(bursts, key=lambda f: f.peak)
    return dataclasses.replace(
        c,
        kind="flapping",
        state="recurring",
        end=bursts[-1].end,
        level=sum(f.level * f.traces for f in bursts) / traces if traces else c.level,
        peak=worst.peak,
        peak_time=worst.peak_time,
        score=max(f.score for f in bursts),
        traces=traces,
        errors=sum(f.errors for f in bursts),
        per_hour=None,
        cycle=c.cycle or (bursts[-1].start - bursts[0].start) // (len(bursts) - 1),
    )


def _same(c: Finding, f: Finding, step: int) -> bool:
    """One episode seen twice: same signal, overlapping in time (to within a coarse period)."""
    c_end = c.end if c.end is not None else f.end if f.end is not None else f.start
    f_end = f.end if f.end is not None else c_end
    return c.signal == f.signal and c.start <= f_end + step and f.start <= c_end + step


def _merged(c: Finding, f: Finding, step: int, saw: bool) -> Finding:
    """Onset from the fine view where it `saw` it (it had an hour of data before) and the coarse one agrees to
    within a coarse period; else from the coarse view. State from the fine one."""
    start = f.start if saw and c.start >= f.start - step else c.start
    kind: Kind = f.kind if f.kind == "flapping" or c.kind != "drift" else c.kind
    if f.state == "over" and kind in ("spike", "recovered") and f.end is not None:
        kind = "recovered" if f.end - start >= LONG else "spike"
    # Still going: the longer view pools more of it; but a silence's figures belong to the onset they start at.
    if kind != "flapping" and f.state != "over" and (f.signal != "traffic" or start == c.start):
        f = dataclasses.replace(f, level=c.level, peak=c.peak, peak_time=c.peak_time, traces=c.traces, errors=c.errors)
    return dataclasses.replace(
        f,
        kind=kind,
        start=start,
        per_hour=c.per_hour if kind == "drift" else f.per_hour,
        resolution=f.resolution if start == f.start else c.resolution,
    )
