"""The one policy for text we did not write, and for the secrets we hold.

Secrets are remembered when they are first known (settings at start, each access and refresh token when
it is sent or received, URL credentials) and masked in every error message (`redact`), every log line
(`SafeLogFilter`) and every answer (`for_model`).

Text from outside (the Astro API, its users, the sign-in service) is data, never instructions:
- in a message or a log line, `upstream_text`: one line, invisible characters removed, secrets masked, capped;
- in an answer, `for_model` (applied to every string of every answer, in `render.answer`): control, bidi
  and zero-width characters shown escaped (`\u202e`), secrets masked, capped;
- trace content, in the default `redacted` mode, also `personal`: e-mail addresses, API-key-shaped
  strings, phone and card numbers masked.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel

MASK = "[redacted]"
UPSTREAM_TEXT_CHARS = 300  # of any one string the API sends back (an error, its details)
MODEL_TEXT_CHARS = 12_000  # of any one string of an answer (answers are bounded as a whole, too)
LOG_LINE_CHARS = 4000
_MIN_SECRET = 4  # shorter values would mask ordinary words
# Control characters (C0, DEL, C1), bidi overrides and isolates, zero-width characters and line separators:
# none belongs in one line of text, and each can hide or reorder what a reader sees.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]+")
_secrets: set[str] = set()
_longest_first: list[str] = []  # _secrets, as `redact` tries them


def remember(*values: str | None) -> None:
    """Mask these values from now on, wherever they appear."""
    _secrets.update(v for v in values if v and len(v) >= _MIN_SECRET)
    _longest_first[:] = sorted(_secrets, key=len, reverse=True)  # a token may contain a shorter one


def secrets_known() -> int:
    """How many secrets are masked: it grows with each one learnt, so an answer made before it may hold one."""
    return len(_secrets)


def remember_url(url: str) -> None:
    """Mask the credentials a URL may carry: its userinfo and its query values."""
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    remember(userinfo, parts.username, parts.password)
    remember(*(value for _, value in parse_qsl(parts.query)))


_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
T = TypeVar("T")


def _escaped(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def escaped(text: str) -> str:
    """`text` with its invisible and control characters shown as `\\uXXXX`, once: a line break cannot break a line."""
    return text if text.isprintable() else _INVISIBLE.sub(_escaped, text)


def for_model(text: str, limit: int = MODEL_TEXT_CHARS) -> str:
    """A string of an answer, made inert: invisible and control characters shown escaped, secrets masked, capped.

    A line break becomes `\\u000a`: a string we did not write can never start a line of its own in an answer.
    """
    if text.isascii() and text.isprintable():
        return clip(redact(text), limit)
    return clip(redact(_INVISIBLE.sub(_escaped, text[: limit * 2])), limit)


def for_model_all(value: T) -> T:
    """`value` with `for_model` applied to every string in it: a model's fields, lists, dicts, tuples."""
    return _walk(value)  # type: ignore[no-any-return]


def _walk(value: Any) -> Any:
    """`value` made inert; the very same object where nothing in it changes (most answers: no copy at all)."""
    if isinstance(value, str):
        return for_model(value)
    if isinstance(value, BaseModel):
        fields = {name: getattr(value, name) for name in type(value).model_fields}
        changed = {name: new for name, old in fields.items() if (new := _walk(old)) is not old}
        return value.model_copy(update=changed) if changed else value
    if isinstance(value, list | tuple):
        items = [_walk(v) for v in value]
        return type(value)(items) if any(new is not old for new, old in zip(items, value, strict=True)) else value
    if isinstance(value, dict):
        walked = {k: _walk(v) for k, v in value.items()}
        return walked if any(walked[k] is not v for k, v in value.items()) else value
    return value


_CARD = "[card number]"
_PERSONAL = [
    # Each match may start only where its run of characters starts: a search from every position of a long run
    # would read the rest of the run each time (seconds for one 100,000-character trace input).
    (re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"), "[e-mail]"),
    (
        re.compile(
            r"\b(?:(?:sk|pk|rk)[-_](?:live|test|proj|ant)[-_][A-Za-z0-9_-]{6,}|sk-[A-Za-z0-9_-]{16,}"
            r"|gh[pousr]_[A-Za-z0-9]{20,}|AKIA[0-9A-Z]{16}|xox[abprs]-[A-Za-z0-9-]{10,}"
            r"|(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})"
        ),
        "[api key]",
    ),
    (re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])"), _CARD),  # masked only if Luhn's check holds
    (re.compile(r"(?<![\w+])\+\d[\d ().-]{7,}\d(?!\w)|(?<!\w)\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}(?!\w)"), "[phone]"),
]


def personal(text: str) -> str:
    """`text` with e-mail addresses, API-key-shaped strings, phone and card numbers masked."""
    for pattern, mask in _PERSONAL:
        if mask == _CARD:
            text = pattern.sub(lambda m: _CARD if _luhn(m.group()) else m.group(), text)
        else:
            text = pattern.sub(mask, text)
    return text


def _luhn(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(reversed(digits)))
    return total % 10 == 0


def shown_url(url: str) -> str:
    """`url` as it may be shown: without the credentials, query or fragment it may carry."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{parts.path}"


def redact(text: str) -> str:
    """`text` with every remembered secret masked, longest first (a token may contain a shorter one)."""
    for secret in _longest_first:
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
