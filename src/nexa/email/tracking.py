"""Open and click tracking, without the database: the signed tokens of the pixel, the tracked
links and the unsubscribe link; the one-pass link rewrite; which opens are a machine's.

* **Tokens** are ``itsdangerous`` signatures keyed from ``NEXA_SECRET_KEY`` with one salt per
  purpose, so an open token is no click token. Open and click tokens are timed
  (``TimestampSigner``; ``NEXA_EMAIL_TRACKING_MAX_AGE_DAYS``): the open token names the
  message row, the click token the row and the link's index in the row's ``links``, as plain
  ``<hex>.<index>`` signed text (a serializer's JSON and base64 cost 5x more per link: 24 µs
  against 4-5 µs, and a newsletter has dozens of links). The unsubscribe token
  (nexa.email.mime) does not expire: an unsubscribe link must keep working.
* **Links** are rewritten while nh3 cleans the HTML (its ``attribute_filter``: the one parse
  the cleaning does anyway), each ``http(s)`` ``href`` of an ``<a>`` becoming
  ``<public URL>/e/c/<token>``; the originals are kept on the row, so a click redirects only
  to a URL that was in that message (no open redirect). The pixel is appended after.
* **Machine opens**: a mail proxy or scanner fetching images or following links is not a
  person reading. An event is a machine's when it comes within
  ``NEXA_EMAIL_MACHINE_OPEN_SECONDS`` of delivery (or before delivery was recorded); when its
  user agent is a scanner, a bot or Apple Mail Privacy Protection's bare WebKit agent; or when
  a mail proxy (Gmail's GoogleImageProxy, Yahoo's, Outlook's prefetch) fetches within
  ``PROXY_WINDOW_FACTOR`` times that window. Later proxy fetches are people: Gmail fetches
  through its proxy when the message is opened.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any

from itsdangerous import BadData, TimestampSigner, URLSafeSerializer

from nexa.email.mime import UNSUBSCRIBE_SALT

OPEN_SALT = "nexa.email.open"
CLICK_SALT = "nexa.email.click"
OPEN_PATH = "/e/o/"
CLICK_PATH = "/e/c/"
PROXY_WINDOW_FACTOR = 6
USER_AGENT_MAX = 300
# 43 bytes: the smallest transparent 1x1 GIF
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)

_SCANNERS = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|scanner|python-|curl/|wget/|go-http|java/|okhttp|"
    r"headless|barracuda|mimecast|proofpoint|safelinks|symantec|trendmicro|forcepoint|"
    r"linkchecker|preview",
    re.IGNORECASE,
)
_PROXIES = re.compile(
    r"GoogleImageProxy|ggpht\.com|YahooMailProxy|Microsoft Office|ms-office|OneNote",
    re.IGNORECASE,
)
# Apple Mail Privacy Protection fetches with a WebKit agent that names no browser at all
_APPLE_MPP = re.compile(r"^Mozilla/5\.0( \([^)]*\) AppleWebKit/[\d.]+ \(KHTML, like Gecko\))?$")


# ---- tokens -------------------------------------------------------------------------------


class _Signer(TimestampSigner):
    """A timestamp signer whose derived key is computed once (it is per key and salt), and
    whose clock can be fixed (``at``: tokens made "in the past" for tests and tools)."""

    def __init__(self, secret_key: str, salt: str, at: int | None = None) -> None:
        super().__init__(secret_key, salt=salt)
        self._derived = super().derive_key()
        self._at = at

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        return self._derived if secret_key is None else super().derive_key(secret_key)

    def get_timestamp(self) -> int:
        return self._at if self._at is not None else super().get_timestamp()


@lru_cache(maxsize=16)
def _signer(secret_key: str, salt: str) -> _Signer:
    return _Signer(secret_key, salt)


def _signer_at(secret_key: str, salt: str, now: float | None) -> _Signer:
    return _signer(secret_key, salt) if now is None else _Signer(secret_key, salt, int(now))


def open_token(message_row_id: uuid.UUID, secret_key: str, *, now: float | None = None) -> str:
    """The pixel's token of a message: ``<row id, hex>.<time>.<signature>`` (``now``: sign
    as if at that UNIX time)."""
    return _signer_at(secret_key, OPEN_SALT, now).sign(message_row_id.hex).decode()


def click_token(
    message_row_id: uuid.UUID, index: int, secret_key: str, *, now: float | None = None
) -> str:
    """The token of the ``index``-th tracked link of a message:
    ``<row id, hex>.<index>.<time>.<signature>``."""
    value = f"{message_row_id.hex}.{index}"
    return _signer_at(secret_key, CLICK_SALT, now).sign(value).decode()


def _unsigned(token: str, salt: str, secret_key: str, max_age_seconds: float) -> str | None:
    if len(token) > 200:
        return None
    try:
        return _signer(secret_key, salt).unsign(token, max_age=int(max_age_seconds)).decode()
    except (BadData, ValueError, UnicodeError):
        return None


def _row_id(value: Any) -> uuid.UUID | None:
    if not isinstance(value, str) or len(value) != 32:
        return None
    try:
        return uuid.UUID(hex=value)
    except ValueError:
        return None


def read_open(token: str, secret_key: str, max_age_seconds: float) -> uuid.UUID | None:
    """The message row an open token names; None when forged, altered or expired."""
    value = _unsigned(token, OPEN_SALT, secret_key, max_age_seconds)
    return _row_id(value)


def read_click(token: str, secret_key: str, max_age_seconds: float) -> tuple[uuid.UUID, int] | None:
    """(message row, link index) of a click token; None when forged, altered or expired."""
    value = _unsigned(token, CLICK_SALT, secret_key, max_age_seconds)
    if value is None:
        return None
    row, _, index = value.partition(".")
    row_id = _row_id(row)
    if row_id is None or not index.isdigit() or len(index) > 5:
        return None
    return row_id, int(index)


def read_unsubscribe(token: str, secret_key: str) -> uuid.UUID | None:
    """The message row an unsubscribe token (nexa.email.mime) names; None when forged."""
    if len(token) > 200:
        return None
    try:
        value = URLSafeSerializer(secret_key, salt=UNSUBSCRIBE_SALT).loads(token)
    except (BadData, ValueError, UnicodeError):
        return None
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def unsubscribe_row_of_address(local_part: str) -> uuid.UUID | None:
    """The message row an ``unsubscribe+<row id, hex>@<from-domain>`` mailto names."""
    prefix, _, token = local_part.lower().partition("+")
    if prefix != "unsubscribe" or len(token) != 32:
        return None
    return _row_id(token)


# ---- the rewrite --------------------------------------------------------------------------


class LinkRewriter:
    """nh3's ``attribute_filter`` for one message: each ``http(s)`` link of an ``<a>`` becomes
    a tracked link; ``links`` lists the original URLs, one index per distinct URL."""

    def __init__(self, public_url: str, message_row_id: uuid.UUID, secret_key: str) -> None:
        self.base = public_url.rstrip("/")
        self.row_id = message_row_id
        self.secret_key = secret_key
        self.links: list[str] = []
        self._tracked: dict[str, str] = {}  # original URL -> its tracked URL

    def __call__(self, element: str, attribute: str, value: str) -> str | None:
        if element != "a" or attribute != "href":
            return value
        url = value.strip()
        if not url.lower().startswith(("http://", "https://")) or len(url) > 4000:
            return value
        tracked = self._tracked.get(url)
        if tracked is None:
            token = click_token(self.row_id, len(self.links), self.secret_key)
            tracked = self._tracked[url] = f"{self.base}{CLICK_PATH}{token}"
            self.links.append(url)
        return tracked

    def pixel(self) -> str:
        token = open_token(self.row_id, self.secret_key)
        return f'<img src="{self.base}{OPEN_PATH}{token}" width="1" height="1" alt="">'


AttributeFilter = Callable[[str, str, str], str | None]


# ---- machines -----------------------------------------------------------------------------


def is_machine(
    user_agent: str | None, sent_at: datetime | None, at: datetime, window_seconds: float
) -> bool:
    """Whether an open or click looks like a machine's (see the module's docstring)."""
    if sent_at is None:
        return True
    elapsed = (at - sent_at).total_seconds()
    if elapsed < window_seconds:
        return True
    agent = (user_agent or "").strip()
    if not agent or _SCANNERS.search(agent) or _APPLE_MPP.match(agent):
        return True
    return bool(_PROXIES.search(agent)) and elapsed < window_seconds * PROXY_WINDOW_FACTOR


def short_agent(user_agent: str | None) -> str | None:
    if not user_agent:
        return None
    cleaned = "".join(ch for ch in user_agent if ch.isprintable())
    return cleaned[:USER_AGENT_MAX] or None
