"""The one place where known secrets are cut out of text, and where text from outside is cut to size.

Secrets are remembered when they are first known (settings at start, each access token when it is
used) and masked in every error message (`redact`) and every log line (`SafeLogFilter`). Any string
that came from the Astro API passes through `upstream_text` before it reaches a message or a log.
"""

from __future__ import annotations

import logging
import re
import time
from urllib.parse import parse_qsl, urlsplit

MASK = "[redacted]"
UPSTREAM_TEXT_CHARS = 300  # of any one string the API sends back (an error, its details)
LOG_LINE_CHARS = 4000
_MIN_SECRET = 4  # shorter values would mask ordinary words
# Control characters (C0, DEL, C1), bidi overrides and isolates, zero-width characters and line separators:
# none belongs in one line of text, and each can hide or reorder what a reader sees.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]+")
_secrets: set[str] = set()


def remember(*values: str | None) -> None:
    """Mask these values from now on, wherever they appear."""
    _secrets.update(v for v in values if v and len(v) >= _MIN_SECRET)


def remember_url(url: str) -> None:
    """Mask the credentials a URL may carry: its userinfo and its query values."""
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    remember(userinfo, parts.username, parts.password)
    remember(*(value for _, value in parse_qsl(parts.query)))


def shown_url(url: str) -> str:
    """`url` as it may be shown: without the credentials, query or fragment it may carry."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{parts.path}"


def redact(text: str) -> str:
    """`text` with every remembered secret masked, longest first (a token may contain a shorter one)."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, saying how many were left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters)"


def upstream_text(text: str, limit: int = UPSTREAM_TEXT_CHARS) -> str:
    """A string from the API, made safe to quote: one line, secrets masked, cut to `limit`."""
    return clip(redact(" ".join(_CONTROL.sub(" ", text[: limit * 4]).split())), limit)


class SafeLogFilter(logging.Filter):
    """On a handler: masks secrets, cuts long lines, and lets at most `burst` lines of one kind per `window` s.

    A flood (thousands of failing connections, say) then costs a few lines and a count of those left out,
    not the disk.
    """

    def __init__(self, burst: int = 20, window: float = 10.0) -> None:
        super().__init__()
        self._burst = burst
        self._window = window
        self._seen: dict[tuple[str, object], tuple[float, int, int]] = {}  # kind -> (window start, lines, dropped)

    def filter(self, record: logging.LogRecord) -> bool:
        kind = (record.name, record.msg)
        now = time.monotonic()
        start, lines, dropped = self._seen.get(kind, (now, 0, 0))
        if now - start >= self._window:
            start, lines = now, 0
        if lines >= self._burst:
            self._seen[kind] = (start, lines, dropped + 1)
            return False
        if len(self._seen) > 1000:  # kinds are few; this only bounds a pathological mix
            self._seen.clear()
        self._seen[kind] = (start, lines + 1, 0)
        message = upstream_text(record.getMessage(), LOG_LINE_CHARS)
        if dropped:
            message += f" ({dropped} similar lines left out)"
        record.msg, record.args = message, None
        if record.exc_info and not record.exc_text:
            record.exc_text = clip(redact(logging.Formatter().formatException(record.exc_info)), LOG_LINE_CHARS)
        return True


def install_log_filter() -> None:
    """Put one `SafeLogFilter` on every handler of the root logger."""
    safe = SafeLogFilter()
    for handler in logging.getLogger().handlers:
        handler.addFilter(safe)
