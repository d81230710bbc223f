"""The tools' arguments read into checked queries, the same way for every tool, against one clock reading."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from astro_mcp.analysis.ordering import SORTS
from astro_mcp.analysis.results.overview import Sort
from astro_mcp.config import Settings
from astro_mcp.domain import MetricsQuery, TraceOrder, TracesQuery, TraceStatus, rfc3339
from astro_mcp.query.cursor import Page, decode, same_scope
from astro_mcp.query.slugs import check_slug, check_trace_id
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
        trace_id: str | None = None,
    ) -> TracesQuery:
        """A page of one agent's traces, its window read as `metrics` reads it, or one trace; raises `QueryError`."""
        window = self.metrics(account, name, start, end, None)
        chosen = check_trace_id(trace_id)
        return TracesQuery(window.agent, window.start, window.end, status, limit, offset, window.notes, order, chosen)

    def overview_page(
        self, account: str, start: Time, end: Time, cursor: str | None, sort: Sort | None = None
    ) -> tuple[MetricsQuery, Page, Sort]:
        """An overview's window, page and order; a cursor brings back the first page's exact window and order.
        Raises `QueryError`."""
        chosen: Sort = sort or "attention"
        if cursor is not None:
            found = decode(cursor, "get_account_overview")
            same_scope(found, "account", check_slug("account", account), "get_account_overview")
            if sort is not None:
                same_scope(found, "sort", sort, "get_account_overview")
            start, end = found.scope.get("start"), found.scope.get("end")
            chosen = next((s for s in SORTS if s == found.scope.get("sort", "attention")), "attention")
        window = self.account_window(account, start, end)
        scope = {"account": window.account, "start": rfc3339(window.start), "end": rfc3339(window.end), "sort": chosen}
        return window, Page(found.offset if cursor is not None else 0, scope), chosen

    def fleet_page(self, account: str | None, cursor: str | None) -> tuple[str | None, Page]:
        """The account filter and page of `list_agents`; a cursor alone says which list; raises `QueryError`."""
        chosen = check_slug("account", account) if account and account.strip() else None
        if cursor is None:
            return chosen, Page(0, {"account": chosen or ""})
        found = decode(cursor, "list_agents")
        if chosen is not None:
            same_scope(found, "account", chosen, "list_agents")
        listed = found.scope.get("account", "")
        return listed or None, Page(found.offset, {"account": listed})
