"""How a person's name is written everywhere (pages, search, events, exports)."""

from __future__ import annotations


def person_name(first: str | None, last: str | None) -> str:
    """``"Ann Lee"``; either part may be missing or blank (then ``""`` when both are)."""
    return " ".join(p for p in ((first or "").strip(), (last or "").strip()) if p)
