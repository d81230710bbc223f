"""The detection engine: no false alarms on healthy noise, and each kind of trouble named with its state and onset.

The scenarios are drawn at random (traffic, timing, noise), not taken from the simulator's zoo: the
engine must find each kind wherever and however loudly it happens.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from astro_mcp.analysis.assess import assess
from astro_mcp.analysis.detect import Diagnosis, diagnose
from astro_mcp.analysis.episode import Finding
from astro_mcp.sim.data import Agent, Incident
from astro_mcp.sim.zoo import ZOO
from tests.scenarios import healthy_agent, views
from tests.support import examples

START = datetime(2026, 11, 2, tzinfo=UTC)
FOREVER = timedelta(days=3650)


def judged(agent: Agent, seed: str, now: datetime, anchor: datetime | None = None) -> dict[str, Diagnosis]:
    """What the server judges at `now`: the one "now" (a week hourly + 6 hours at 5 minutes), a 24-hour
    window (with the day before) and a 1-hour window (with the hour before) against the same baseline.
    The agent's incidents are placed relative to `anchor` (default: `now`)."""
    v = views(agent, seed, anchor or now, now)
    current = assess(v.context, v.recent, v.now, (v.starts(168), v.starts(6)))
    return {
        "now": current,
        "7 days": diagnose(v.context, v.now, current.baseline, v.starts(168)),
        "24 hours": diagnose(v.day, v.now, current.baseline, v.starts(48)),
        "1 hour": diagnose(v.hour, v.now, current.baseline, v.starts(2)),
    }


def test_healthy_agents_with_realistic_noise_raise_at_most_one_false_alarm_in_a_hundred_windows() -> None:
    rng = random.Random(2026)
    flagged: list[str] = []
    windows = 0
    for k in range(examples(200)):
        agent = healthy_agent(rng)
        now = START + timedelta(minutes=rng.randint(0, 40 * 1440))
        for view, d in judged(agent, f"healthy/{k}", now).items():
            windows += 1
            if d.findings or d.status != "healthy":
                flagged.append(f"{k} {view}: {agent} -> {d.findings[0] if d.findings else d.status}")
    rate = len(flagged) / windows
    print(f"\nfalse alarms: {len(flagged)} of {windows} healthy windows ({rate:.2%})")
    assert rate <= 0.01, "\n".join(flagged)


@dataclass(frozen=True)
class Case:
    agent: Agent
    kind: str
    state: str
    signal: str
    onset: timedelta  # before `now`


def _silence(rng: random.Random) -> Case:
    """Traffic stopped, or collapsed to a small share, from 45 minutes to 8 hours ago."""
    hours = rng.uniform(0.75, 8)
    share = rng.choice([0.0, 0.0, rng.uniform(0.02, 0.15)])
    return Case(
        _busy(rng, Incident(-timedelta(hours=hours), FOREVER, traffic_factor=share)),
        "silence",
        "ongoing",
        "traffic",
        timedelta(hours=hours),
    )


def _spike(rng: random.Random) -> Case:
    hours = rng.uniform(3, 20)
    change = rng.choice([{"error_rate": rng.uniform(0.2, 0.5)}, {"latency_factor": rng.uniform(2.5, 4)}])
    signal = "error_rate" if "error_rate" in change else "avg_latency_ms"
    incident = Incident(-timedelta(hours=hours), timedelta(hours=1), **change)  # type: ignore[arg-type]
    return Case(_busy(rng, incident), "spike", "over", signal, timedelta(hours=hours))


def _regression(rng: random.Random) -> Case:
    hours = rng.uniform(2, 12)
    return Case(
        _busy(rng, Incident(-timedelta(hours=hours), FOREVER, error_rate=rng.uniform(0.07, 0.2))),
        "regression",
        "ongoing",
        "error_rate",
        timedelta(hours=hours),
    )


def _tokens(rng: random.Random) -> Case:
    hours = rng.uniform(2, 12)
    return Case(
        _busy(rng, Incident(-timedelta(hours=hours), FOREVER, token_factor=rng.uniform(3, 8))),
        "regression",
        "ongoing",
        "tokens_per_trace",
        timedelta(hours=hours),
    )


def _drift(rng: random.Random) -> Case:
    hours = rng.uniform(30, 60)
    return Case(
        _busy(rng, Incident(-timedelta(hours=hours), FOREVER, latency_growth=rng.uniform(0.02, 0.05))),
        "drift",
        "ongoing",
        "avg_latency_ms",
        timedelta(hours=hours),
    )


def _flapping(rng: random.Random) -> Case:
    hours = rng.uniform(4, 10)
    bad = rng.choice([15, 20, 30])
    incident = Incident(-timedelta(hours=hours), FOREVER, error_rate=rng.uniform(0.25, 0.5), cycle=(2 * bad, bad))
    return Case(_busy(rng, incident), "flapping", "recurring", "error_rate", timedelta(hours=hours))


def _bursts(rng: random.Random) -> Case:
    """A job failing outright for a few minutes every hour or two, for days: recurring, not a string of spikes."""
    hours, period = rng.uniform(30, 72), rng.choice([60, 90, 120])
    incident = Incident(-timedelta(hours=hours), FOREVER, error_rate=1.0, cycle=(period, rng.choice([5, 10])))
    return Case(_busy(rng, incident), "flapping", "recurring", "error_rate", timedelta(hours=hours))


def _recovered(rng: random.Random) -> Case:
    ago, days = rng.uniform(6, 24), rng.uniform(1, 4)
    incident = Incident(-timedelta(hours=ago, days=days), timedelta(days=days), error_rate=rng.uniform(0.08, 0.2))
    return Case(_busy(rng, incident), "recovered", "over", "error_rate", timedelta(hours=ago, days=days))


def _busy(rng: random.Random, incident: Incident) -> Agent:
    return Agent(
        "trouble",
        rng.uniform(1.5, 8),
        latency_ms=rng.uniform(150, 1500),
        incidents=(incident,),
        timeouts=rng.choice([0.0, 0.002]),
    )


KINDS: dict[str, Callable[[random.Random], Case]] = {
    "silence": _silence,
    "spike": _spike,
    "regression": _regression,
    "token step": _tokens,
    "drift": _drift,
    "flapping": _flapping,
    "failing bursts": _bursts,
    "recovered": _recovered,
}


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_is_named_with_its_state_and_an_onset_within_one_period(kind: str) -> None:
    """Over random cases of one kind, at least 90% are named right: kind, state, and the period it began in.

    The misses are printed. Known limits: a flapping pattern whose stretches are shorter than two analysis
    periods (a 15-minute alternation at 2 traces a minute) reads as a regression: the data cannot resolve it.
    """
    misses = []
    cases = examples(30)
    for seed in range(cases):
        rng = random.Random(f"{kind}/{seed}")
        case = KINDS[kind](rng)
        now = START + timedelta(days=rng.randint(8, 30), minutes=rng.randint(0, 1439))
        d = judged(case.agent, f"{kind}/{seed}", now)["now"]
        found = _first(d, case.signal)
        if found is None or (found.kind, found.state) != (case.kind, case.state):
            misses.append(f"{seed}: {case.agent.incidents[0]} -> {found or d.findings}")
            continue
        period = max(found.resolution, d.step)
        onset = int((now - case.onset).timestamp()) // period * period  # the start of the period it began in
        if abs(found.start - onset) > period:
            misses.append(f"{seed}: began {now - case.onset}, found {datetime.fromtimestamp(found.start, UTC)}")
    print(f"\n{kind}: {cases - len(misses)} of {cases} named right", *misses, sep="\n  ")
    assert len(misses) <= 0.1 * cases, misses


def _first(d: Diagnosis, signal: str) -> Finding | None:
    return next((f for f in d.findings if f.signal == signal), None)


ZOO_NOW = datetime(2026, 11, 25, 9, 52, 30, tzinfo=UTC)
ZOO_ANCHOR = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "status", "kind", "state", "onset"),
    [
        ("silent-after-errors", "outage", "silence", "ongoing", "2026-11-25T06:00"),
        ("flapping-agent", "incident", "flapping", "recurring", "2026-11-25T03:00"),
        ("creeping-latency", "incident", "drift", "ongoing", "2026-11-23T09:00"),
        ("recovered-agent", "recovered", "recovered", "over", "2026-11-19T21:00"),
        ("token-jump", "degraded", "regression", "ongoing", "2026-11-25T00:00"),
        ("latency-spike", "recovered", "spike", "over", "2026-11-25T04:00"),
        ("error-step", "incident", "regression", "ongoing", "2026-11-25T05:00"),
        ("quiet-healthy", "healthy", None, None, None),
        ("seasonal-healthy", "healthy", None, None, None),
        ("brand-new", "healthy", None, None, None),
    ],
)
def test_every_zoo_agent_is_judged_as_what_happened_to_it(
    name: str, status: str, kind: str | None, state: str | None, onset: str | None
) -> None:
    d = judged(ZOO[name], f"zoo/{name}", ZOO_NOW, ZOO_ANCHOR)["now"]
    assert d.status == status
    if onset is None:
        assert d.findings == []
        return
    first = d.findings[0]
    assert (first.kind, first.state) == (kind, state)
    began = datetime.fromisoformat(onset + ":00+00:00").timestamp()
    assert abs(first.start - began) <= max(first.resolution, d.step)


def test_a_brand_new_agent_says_when_its_data_begins_and_that_there_is_no_baseline_yet() -> None:
    d = judged(ZOO["brand-new"], "zoo/brand-new", ZOO_NOW, ZOO_ANCHOR)["now"]
    assert d.baseline.is_new(d.now)
    assert d.baseline.since == int(datetime(2026, 11, 25, 4, 0, tzinfo=UTC).timestamp())
