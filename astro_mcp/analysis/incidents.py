"""Incidents: anomalies and level shifts, merged when they overlap in time, told as spike or regression.

An error spike and a latency spike in the same hour are one incident with two symptoms. An incident
that reaches the window's end is ongoing; one that ended says since when the agent is back to normal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from statistics import median

from astro_mcp import formats as fmt
from astro_mcp.analysis.anomalies import Anomaly
from astro_mcp.analysis.grid import Series
from astro_mcp.analysis.results.metrics import Incident, Metric, Symptom, TracesCall
from astro_mcp.analysis.shift import Shift
from astro_mcp.domain import AgentRef, rfc3339

_TITLES: dict[Metric, str] = {"error_rate": "error", "avg_latency_ms": "latency"}
_NAMES: dict[Metric, str] = {"error_rate": "error rate", "avg_latency_ms": "latency"}


@dataclass
class _Episode:
    start: int
    end: int
    ongoing: bool
    regression: bool
    symptoms: list[Symptom] = field(default_factory=list)


def shown(metric: Metric, value: float) -> str:
    return fmt.pct(value) if metric == "error_rate" else fmt.ms(value)


def find_incidents(
    agent: AgentRef,
    series: Series,
    window: tuple[int, int],
    eligible: list[int],
    anomalies: list[Anomaly],
    shifts: list[Shift],
) -> list[Incident]:
    """Every incident in the window, ongoing ones first, then by how far their worst symptom stands out."""
    start, end = window
    last_judged = max(eligible, default=-1)
    episodes = [_from_shift(s, end) for s in shifts]
    for a in anomalies:
        if any(s.metric == a.metric and series.time(a.last + 1) > s.since for s in shifts):
            continue  # part of the level shift
        values = [
            series.latency(i) if a.metric == "avg_latency_ms" else _rate(series, i) for i in range(a.first, a.last + 1)
        ]
        level = median(v for v in values if v is not None)
        symptom = Symptom(
            metric=a.metric,
            peak=a.peak_value,
            peak_time=_at(max(series.time(a.peak), start)),
            level=level,
            typical=a.baseline,
            score=a.score,
        )
        begins, ends = max(series.time(a.first), start), min(series.time(a.last + 1), end)
        episodes.append(_Episode(begins, ends, a.last >= last_judged, False, [symptom]))
    merged = _merge(sorted(episodes, key=lambda e: e.start), series.step)
    incidents = [_incident(agent, series, e, window, later=merged[k + 1 :]) for k, e in enumerate(merged)]
    return sorted(incidents, key=lambda i: (not i.ongoing, -max(s.score for s in i.symptoms)))


def _from_shift(s: Shift, end: int) -> _Episode:
    symptom = Symptom(
        metric=s.metric,
        peak=s.peak.value(s.metric),
        peak_time=_at(s.peak.time),
        level=s.after,
        typical=s.before,
        score=s.score,
    )
    return _Episode(s.since, end, True, True, [symptom])


def _merge(episodes: list[_Episode], step: int) -> list[_Episode]:
    """Episodes that overlap or touch become one."""
    merged: list[_Episode] = []
    for e in episodes:
        last = merged[-1] if merged else None
        if last is not None and e.start <= last.end + step:
            last.end = max(last.end, e.end)
            last.ongoing = last.ongoing or e.ongoing
            last.regression = last.regression or e.regression
            last.symptoms.extend(s for s in e.symptoms if s.metric not in {t.metric for t in last.symptoms})
        else:
            merged.append(e)
    return merged


def _incident(agent: AgentRef, series: Series, e: _Episode, window: tuple[int, int], later: list[_Episode]) -> Incident:
    inside = series.overlapping(e.start, e.end)
    symptoms = sorted(e.symptoms, key=lambda s: s.metric)
    kind = "regression" if e.regression else "spike"
    return Incident(
        kind=kind,
        ongoing=e.ongoing,
        start=_at(e.start),
        end=None if e.ongoing else _at(e.end),
        metrics=[s.metric for s in symptoms],
        headline=_headline(kind, e, symptoms, window, bool(later)),
        symptoms=symptoms,
        trace_count=sum(series.traces[i] for i in inside),
        error_count=sum(series.errors[i] for i in inside),
        traces_call=TracesCall(
            account=agent.account,
            name=agent.name,
            start_time=rfc3339(_at(max(e.start, window[0]))),
            end_time=rfc3339(_at(window[1] if e.ongoing else e.end)),
        ),
    )


def _headline(kind: str, e: _Episode, symptoms: list[Symptom], window: tuple[int, int], later: bool) -> str:
    what = " and ".join(_TITLES[s.metric] for s in symptoms)
    title = f"{what[0].upper()}{what[1:]} {kind}"
    if kind == "regression":
        figures = ", ".join(
            f"{_NAMES[s.metric]} {shown(s.metric, s.level)}, was {shown(s.metric, s.typical)}"
            f"{_times(s.level, s.typical)}"
            for s in symptoms
        )
    else:
        figures = ", ".join(
            f"{_NAMES[s.metric]} up to {shown(s.metric, s.peak)} vs a typical {shown(s.metric, s.typical)}"
            f"{_times(s.peak, s.typical)}"
            for s in symptoms
        )
    before = " (before this window began)" if e.start < window[0] else ""
    if e.ongoing:
        return f"{title}, ongoing since {fmt.when(_at(e.start))}{before}: {figures}."
    back = "; normal since then" if not later else ""
    return f"{title} {fmt.span(_at(e.start), _at(e.end))}: {figures}. Over at {fmt.clock(_at(e.end))}{back}."


def _times(value: float, typical: float) -> str:
    return f" ({value / typical:.1f}x)" if typical > 0 else ""


def _rate(series: Series, i: int) -> float | None:
    return series.errors[i] / series.traces[i] if series.traces[i] else None


def _at(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
