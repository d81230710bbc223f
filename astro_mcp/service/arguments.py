"""The tools' arguments read into checked queries, the same way for every tool, against one clock reading."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from astro_mcp.config import Settings
from astro_mcp.domain import MetricsQuery, TraceOrder, TracesQuery, TraceStatus
from astro_mcp.query.window import resolve_query

Clock = Callable[[], datetime]
Time = str | float | None


class Arguments:
    """Reads what a model sends; every refusal is a `QueryError` that says how to fix the call."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock

    def metrics(self, account: str, name: str, start: Time, end: Time, interval: int | str | None) -> MetricsQuery:
        """One agent's window and bucket size; raises `QueryError`."""
        s = self._settings
        now = self._clock()
        return resolve_query(
            account, name, start, end, interval, now=now, max_window_days=s.max_window_days, max_buckets=s.max_buckets
        )

    def account_window(self, account: str, start: Time, end: Time) -> MetricsQuery:
        """A window for all of an account's agents, checked as one agent's is; raises `QueryError`."""
        return self.metrics(account, account, start, end, None)

    def traces(
        self,
        account: str,
        name: str,
        start: Time,
        end: Time,
        status: TraceStatus,
        limit: int,
        offset: int,
        order: TraceOrder = "newest",
    ) -> TracesQuery:
        """A page of one agent's traces, its window read as `metrics` reads it; raises `QueryError`."""
        window = self.metrics(account, name, start, end, None)
        return TracesQuery(window.agent, window.start, window.end, status, limit, offset, window.notes, order)

    @staticmethod
    def any_account(account: str | None) -> str | None:
        """An optional account filter: trimmed; None (or empty) for every account."""
        return account.strip() if account else None
