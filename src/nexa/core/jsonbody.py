"""JSON from outside, nested no deeper than a limit.

Python's parser recurses once per ``[`` or ``{``: 5,000 of them raise ``RecursionError``
(a 500, and a thread's stack spent) before any schema is consulted. ``too_deep`` answers
in C-speed passes over the bytes, without parsing: strings are dropped, every other
character but brackets is dropped, then the innermost pairs are removed ``limit`` times.
A document still holding a pair after that is deeper than ``limit``; one left with more
than ``limit`` unmatched openers would make the parser recurse as deep (it is refused too).
"""

from __future__ import annotations

import json
import re
from typing import Any

from nexa.core.errors import ValidationFailed

MAX_JSON_DEPTH = 32

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_AS_SQUARE = bytes.maketrans(b"{}", b"[]")


def too_deep(raw: bytes | str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text ``raw`` nests arrays and objects deeper than ``limit``."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    brackets = _NOT_BRACKET.sub(b"", _STRING.sub(b"", data)).translate(_AS_SQUARE)
    for _ in range(limit):
        reduced = brackets.replace(b"[]", b"")
        if reduced == brackets:
            break
        brackets = reduced
    return b"[]" in brackets or brackets.count(b"[") > limit


def loads(raw: bytes | str, *, field: str, limit: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` for text a user sent: a 422 naming ``field`` when it is not JSON or
    nests deeper than ``limit``."""
    if too_deep(raw, limit):
        raise ValidationFailed(f"the JSON is nested deeper than {limit} levels", field=field)
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ValidationFailed(f"not valid JSON: {str(exc)[:120]}", field=field) from None
