"""What the platform knew around an incident, ranked and worded as evidence. Pure: the service fetches, this judges.

An item is kept when it falls near the incident: a deploy or an infrastructure event from an hour before
the onset to 15 minutes after the incident ended; an alert firing or pending since then; restarts while
the incident lasts. Items are ranked by how plausible their kind is as a trigger, divided by how far they
are from the onset (half an hour away halves it). Nothing here says "caused": each item is evidence.
The failing step is the step most sampled error traces of the incident failed in, with its message.
An onset is dated to the analysis period (an hour, for a day's window): what came within that period after it is
said to be "within the onset's hour", and counts as at the onset, since the incident may have begun after it.
An overview row's context is the same judgement said briefly: fewer items, no clock times (the row's headline
has the onset), no text of the platform's own beyond the names (get_agent_metrics quotes it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from astro_mcp import formats as fmt
from astro_mcp.analysis.results.context import Evidence, EvidenceKind, IncidentContext
from astro_mcp.analysis.results.metrics import Incident
from astro_mcp.redaction import upstream_text

NOT_SERVED = "not available on this server"
BEFORE = timedelta(hours=1)  # how long before the onset a deploy, an event or an alert may still be related
AFTER = timedelta(minutes=15)  # and after the incident ended
HALF = 30.0  # minutes from the onset at which an item's plausibility is halved
NAME_CHARS = 80  # of a build id, an alert's name, a step's name: ours to quote in a sentence
_PLAUSIBLE: dict[EvidenceKind, float] = {
    "deploy": 1.0,
    "event": 0.9,
    "alert": 0.7,
    "rollback": 0.6,
    "restarts": 0.5,
    "failing_step": 1.0,
}


@dataclass(frozen=True, slots=True)
class Deployed:
    build_id: str | None
    at: datetime
    rollback: bool
    revision: int | None = None


@dataclass(frozen=True, slots=True)
class Alerting:
    name: str
    title: str | None
    severity: str | None
    state: str  # firing | pending (others are not evidence)
    since: datetime | None


@dataclass(frozen=True, slots=True)
class Happened:
    """An infrastructure event (OOMKilled, CrashLoopBackOff, FailedScheduling...) with the platform's guidance."""

    reason: str
    message: str | None
    severity: str | None
    guidance: str | None
    count: int | None
    at: datetime | None


@dataclass(frozen=True, slots=True)
class Step:
    """The step one sampled error trace failed in (None where none of its steps says it failed)."""

    at: datetime | None
    name: str | None
    type: str | None
    model: str | None
    message: str | None


@dataclass(frozen=True, slots=True)
class Known:
    """What was fetched around the agent: each source None where it could not be read."""

    deploys: Sequence[Deployed] | None = None
    alerts: Sequence[Alerting] | None = None
    events: Sequence[Happened] | None = None
    restarts: tuple[int, str | None] | None = None  # (restarts of its pods, the last termination's reason)
    steps: Sequence[Step] | None = None  # one per sampled error trace


def relative(minutes: int, period: int = 1) -> str:
    """'2 minutes before the onset', 'at the onset', '6 minutes after the onset'; 'within the onset's hour' for what
    came in the `period` (minutes) an onset dated only to its period began with: the incident may have begun after it.
    """
    if period > 1 and _within_onset(minutes, period):
        return f"within the onset's {_period(period)}"
    if minutes == 0:
        return "at the onset"
    return f"{fmt.minutes(abs(minutes))} {'before' if minutes < 0 else 'after'} the onset"


def _within_onset(minutes: int, period: int) -> bool:
    """Whether what came `minutes` after an onset dated to a `period` may have come at the true onset."""
    return 0 <= minutes < period


def _period(minutes: int) -> str:
    return {60: "hour", 1440: "day"}.get(minutes) or fmt.minutes(minutes)


def _name(text: str | None, default: str = "(unnamed)") -> str:
    return upstream_text(text, NAME_CHARS) if text else default


def _item(
    kind: EvidenceKind,
    at: datetime | None,
    onset: datetime,
    said: str,
    upstream: str | None = None,
    word: str = "at",
    brief: bool = False,
    period: int = 1,
) -> tuple[float, Evidence]:
    minutes = None if at is None else round((at - onset).total_seconds() / 60)
    when = ""
    if at is not None and minutes is not None:
        near = relative(minutes, period)
        when = f", {near}" if brief else f" {word} {fmt.when(at)}, {near}"
    distance = HALF if minutes is None else 0 if _within_onset(minutes, period) else abs(minutes)
    score = _PLAUSIBLE[kind] / (1 + distance / HALF)
    text = upstream_text(upstream) if upstream and not brief else None
    return score, Evidence(kind=kind, at=at, minutes_from_onset=minutes, said=said + when, upstream=text)


def _near(at: datetime | None, onset: datetime, until: datetime) -> bool:
    return at is not None and onset - BEFORE <= at <= until + AFTER


def context_of(
    incident: Incident,
    now: datetime,
    known: Known,
    limit: int = 5,
    *,
    brief: bool = False,
    pending: bool = False,
    period: int = 1,
) -> IncidentContext:
    """The evidence around `incident` (ongoing ones last until `now`), most likely related first, at most `limit`;
    `brief`: said for an overview row; `pending`: its failing step is still being read; `period`: the minutes its
    onset is dated to (the summary's analysis period)."""
    onset, until = incident.start, incident.end or now
    found: list[tuple[float, Evidence]] = []
    for d in known.deploys or ():
        if _near(d.at, onset, until):
            build = _name(d.build_id, "an unnamed build")
            said = f"rollback to {build}" if d.rollback else f"deploy of {build}"
            found.append(_item("rollback" if d.rollback else "deploy", d.at, onset, said, brief=brief, period=period))
    for a in known.alerts or ():
        if a.since is None or onset - BEFORE <= a.since <= until:
            said = f"alert {_name(a.name)} ({a.severity or 'severity unknown'}), {a.state}"
            found.append(_item("alert", a.since, onset, said, a.title, "since", brief, period))
    for e in known.events or ():
        if _near(e.at, onset, until):
            count = f" ×{e.count}" if e.count and e.count > 1 else ""
            said = f"infrastructure event {_name(e.reason)}{count} ({e.severity or 'severity unknown'})"
            guidance = f" Guidance: {e.guidance}" if e.guidance else ""
            detail = f"{e.message or ''}{guidance}".strip() or None
            found.append(_item("event", e.at, onset, said, detail, brief=brief, period=period))
    if known.restarts is not None and known.restarts[0] > 0:
        restarts, reason = known.restarts
        last = f", the last ended by {_name(reason)}" if reason else ""
        found.append(_item("restarts", None, onset, f"{fmt.plural(restarts, 'restart')} of its pods now{last}"))
    ranked = [e for _, e in sorted(found, key=lambda pair: -pair[0])]
    step = failing_step(onset, until, known.steps) if "error_rate" in incident.metrics else None
    return IncidentContext(
        likely_related=ranked[:limit],
        more=max(0, len(ranked) - limit),
        failing_step=step,
        failing_step_pending=pending,
    )


def failing_step(start: datetime, until: datetime, steps: Sequence[Step] | None) -> Evidence | None:
    """The step most sampled error traces from `start` on failed in, and how many; None without a sample."""
    during = [s for s in steps or () if s.at is None or start <= s.at <= until + AFTER]
    failed = Counter((s.name, s.type, s.model, s.message) for s in during if s.name is not None)
    if not failed:
        return None
    (name, kind, model, message), count = failed.most_common(1)[0]
    error = (message or "an error").split(":", 1)[0].strip() if message else "an error"
    said = (
        f"{_name(name)} (observation {_name(kind, 'of unknown type')}, model {_name(model, 'none')}) failed with "
        f"{_name(error)} in {count} of {fmt.plural(len(during), 'sampled error trace')}"
    )
    upstream = upstream_text(message) if message else None
    return Evidence(kind="failing_step", at=None, minutes_from_onset=None, said=said, upstream=upstream)


def notes_of(reasons: Mapping[str, str], sources: Sequence[str]) -> list[str]:
    """One note for each source not read, in `sources`' order: 'alerts: not available on this server.'"""
    return [f"{source}: {reasons[source]}." for source in sources if source in reasons]


def fleet_notes(reasons: Mapping[str, Mapping[str, str]], sources: Sequence[str]) -> list[str]:
    """The notes of several agents' contexts (agent -> source -> why it was not read), each said once: what the
    server does not have in one line, then each other reason with the sources and the agents it concerns."""
    missing = [s for s in sources if any(by_source.get(s) == NOT_SERVED for by_source in reasons.values())]
    agents: dict[tuple[str, str], list[str]] = {}  # (reason, source) -> agents
    for agent, by_source in reasons.items():
        for source in sources:
            reason = by_source.get(source)
            if reason is not None and reason != NOT_SERVED:
                agents.setdefault((reason, source), []).append(agent)
    grouped: dict[tuple[str, tuple[str, ...]], list[str]] = {}  # (reason, agents) -> sources
    for (reason, source), names in agents.items():
        grouped.setdefault((reason, tuple(names)), []).append(source)
    said = [f"{', '.join(found)} of {', '.join(names)}: {reason}." for (reason, names), found in grouped.items()]
    lacking = [f"{', '.join(missing)}: {NOT_SERVED}."] if missing else []
    return lacking + said
