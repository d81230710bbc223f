"""Retries within one budget: jittered exponential backoff, Retry-After honoured up to a cap.

The budget bounds the whole call, retries and waits included: every attempt runs under what is left
of it, so an upstream that drips its answer byte by byte is cut off at the budget, not after it.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

import anyio

from astro_mcp import progress
from astro_mcp.errors import ApiError, AstroError, ConnectionFailedError, RateLimitedError, RequestTimeoutError

logger = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_STATUSES = frozenset({429, 500, 502, 504})
MAX_RETRY_AFTER = 60.0  # the longest wait we honour or advise, whatever the API asks for
_BACKOFF_CAP = 4.0


def retryable(err: AstroError) -> bool:
    """A failure that may pass if tried again: a transient status, or a connection that broke."""
    if isinstance(err, ApiError):
        return err.status_code in RETRY_STATUSES
    return isinstance(err, ConnectionFailedError)


def backoff(attempt: int, err: AstroError, base: float) -> float:
    """Seconds to wait before attempt `attempt + 1`: Retry-After (capped), else full jitter."""
    if isinstance(err, RateLimitedError) and err.retry_after is not None:
        return min(err.retry_after, MAX_RETRY_AFTER)
    return random.uniform(0, min(_BACKOFF_CAP, base * 2 ** (attempt - 1)))


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), capped; None when unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return min(float(text[:12]), MAX_RETRY_AFTER)
    try:
        seconds = (parsedate_to_datetime(text) - datetime.now(UTC)).total_seconds()
    except (TypeError, ValueError, OverflowError):
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


async def within_budget(
    attempt: Callable[[], Awaitable[T]],
    *,
    budget: float,
    max_attempts: int,
    base_backoff: float,
    what: str,
    deadline: float | None = None,
) -> T:
    """Run `attempt` until it succeeds, fails for good, or the budget is spent (or `deadline` passed, if sooner).

    Raises:
        AstroError: the last failure, or `RequestTimeoutError` when the budget ran out.
    """
    deadline = min(anyio.current_time() + budget, deadline if deadline is not None else float("inf"))
    for number in range(1, max_attempts + 1):
        try:
            with anyio.fail_after(max(0.0, deadline - anyio.current_time())):
                return await attempt()
        except TimeoutError:
            raise RequestTimeoutError(f"the Astro API did not answer within the {budget:g} s budget") from None
        except AstroError as err:
            if not retryable(err) or number == max_attempts:
                raise
            delay = backoff(number, err, base_backoff)
            if delay >= deadline - anyio.current_time():
                raise
            logger.warning("attempt %d for %s failed (%s); retrying in %.2fs", number, what, err, delay)
            await progress.step(f"{what}: attempt {number} failed ({err}); retrying in {delay:.1f} s")
            await anyio.sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")
