"""The account-level cost summaries, summed from the same per-minute series as every trace's `total_cost`.

A minute's cost is its tokens at the agent's model's price; each of its traces costs an equal share, so
an account's total for a window is exactly the sum of its traces' `total_cost` (to rounding). Days are
summed once into prefix sums: a week of a 500-agent account costs a few thousand additions.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import accumulate

from astro_mcp.sim.data import DAY, Series, days_of
from astro_mcp.sim.story import cost_usd, story_of


@dataclass(frozen=True, slots=True)
class Sums:
    traces: int
    tokens: int
    cost: float

    def __add__(self, other: Sums) -> Sums:
        return Sums(self.traces + other.traces, self.tokens + other.tokens, self.cost + other.cost)


ZERO = Sums(0, 0, 0.0)
SeriesOf = Callable[[str, str, int], Series]  # (account, name, day) -> that day's series


class Ledger:
    """Window sums of traces, tokens and cost per agent, from running sums kept with each day's series, per model:
    agents sharing a seed share them when on one model."""

    def __init__(self, series_of: SeriesOf) -> None:
        self._series_of = series_of

    def _day(self, account: str, name: str, day: int) -> tuple[tuple[int, ...], tuple[int, ...], tuple[float, ...]]:
        series, model = self._series_of(account, name, day), story_of(account, name).model
        if model not in series.sums:
            inputs, outputs = series.input_tokens, series.output_tokens
            series.sums[model] = (
                tuple(accumulate(series.traces, initial=0)),
                tuple(accumulate(map(operator.add, inputs, outputs), initial=0)),
                tuple(accumulate((cost_usd(model, i, o) for i, o in zip(inputs, outputs, strict=True)), initial=0.0)),
            )
        return series.sums[model]

    def sums(self, account: str, name: str, first: int, last: int) -> Sums:
        """Totals over the minutes [first, last)."""
        total = ZERO
        for day, lo, hi in days_of(first, last):
            traces, tokens, cost = self._day(account, name, day)
            total += Sums(traces[hi] - traces[lo], tokens[hi] - tokens[lo], cost[hi] - cost[lo])
        return total


def minutes_of(start: datetime, end: datetime, now: datetime) -> tuple[int, int]:
    """[first, last) minutes of a window, none from the future."""
    first = math.ceil(start.timestamp() / 60)
    return first, max(first, min(math.ceil(end.timestamp() / 60), math.floor(now.timestamp() / 60)))


def _pct(now: float, before: float) -> float | None:
    return round((now - before) / before * 100, 1) if before else None


def account_summary(ledger: Ledger, account: str, agents: list[str], window: tuple[int, int]) -> dict[str, object]:
    """`GET /accounts/{a}/observability/summary`: totals, the change against the window before, cost by model."""
    first, last = window
    before = (2 * first - last, first)
    by_model: dict[str, Sums] = {}
    now_total = earlier_total = ZERO
    daily: dict[tuple[str, str], float] = {}
    active = 0
    for name in agents:
        sums = ledger.sums(account, name, first, last)
        now_total += sums
        earlier_total += ledger.sums(account, name, *before)
        model = story_of(account, name).model
        by_model[model] = by_model.get(model, ZERO) + sums
        active += sums.traces > 0
        for day, lo, hi in days_of(first, last):
            date = datetime.fromtimestamp(day * DAY * 60, UTC).strftime("%Y-%m-%d")
            part = ledger.sums(account, name, day * DAY + lo, day * DAY + hi)
            daily[(date, model)] = daily.get((date, model), 0.0) + part.cost
    return {
        "totals": {
            "cost_usd": round(now_total.cost, 6),
            "requests": now_total.traces,
            "tokens": now_total.tokens,
            "active_agents": active,
        },
        "change": {
            "cost_pct": _pct(now_total.cost, earlier_total.cost),
            "requests_pct": _pct(now_total.traces, earlier_total.traces),
            "tokens_pct": _pct(now_total.tokens, earlier_total.tokens),
        },
        "cost_over_time": [{"date": d, "model": m, "cost_usd": round(c, 6)} for (d, m), c in sorted(daily.items())],
        "cost_by_model": [
            {"model": m, "cost_usd": round(s.cost, 6), "tokens": s.tokens, "requests": s.traces}
            for m, s in sorted(by_model.items(), key=lambda item: -item[1].cost)
        ],
        "metrics_unavailable": False,
    }


def deployments_summary(
    ledger: Ledger, account: str, deployed: dict[str, str], window: tuple[int, int], deployment_id: Callable[[str], str]
) -> dict[str, object]:
    """`GET /accounts/{a}/observability/deployments-summary`: each deployment's requests and cost."""
    rows = []
    for name in deployed:
        sums = ledger.sums(account, name, *window)
        rows.append(
            {
                "deployment_id": deployment_id(name),
                "name": name,
                "requests": sums.traces,
                "cost_usd": round(sums.cost, 6),
                "cost_per_request": round(sums.cost / sums.traces, 8) if sums.traces else None,
                "top_model": story_of(account, name).model,
                "is_archived": False,
            }
        )
    return {"deployments": rows}
