"""Lead score bands (PRODUCT.md): display high >= 75, medium 50-74, low < 50."""

from __future__ import annotations

HIGH = 75
MEDIUM = 50


def display_band(score: int | None) -> str | None:
    """The band a score is shown in, or None for a lead not scored yet."""
    if score is None:
        return None
    if score >= HIGH:
        return "high"
    if score >= MEDIUM:
        return "medium"
    return "low"
