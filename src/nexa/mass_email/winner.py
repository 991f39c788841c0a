"""The A/B test's verdict: per-variant rates, and a two-proportion z-test of the best
variant against the runner-up. The best is the winner whether or not the difference is
significant; the result says which (``significant``) in a sentence a person reads."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from scipy.stats import norm

METRIC_WORDS = {"open": "open", "click": "click", "reply": "reply"}


def letter(variant: int) -> str:
    return "ABCD"[variant] if 0 <= variant < 4 else str(variant + 1)


@dataclass(frozen=True)
class Arm:
    variant: int
    sent: int  # messages delivered in the test
    hits: int  # of them opened / clicked / replied to by a person

    @property
    def rate(self) -> float:
        return self.hits / self.sent if self.sent else 0.0


def two_proportion_z(a: Arm, b: Arm) -> tuple[float, float]:
    """z and the two-sided p-value of "a's rate differs from b's" (pooled proportion)."""
    if a.sent == 0 or b.sent == 0:
        return 0.0, 1.0
    pooled = (a.hits + b.hits) / (a.sent + b.sent)
    se = math.sqrt(pooled * (1 - pooled) * (1 / a.sent + 1 / b.sent))
    if se == 0:
        return 0.0, 1.0
    z = (a.rate - b.rate) / se
    return z, float(2 * norm.sf(abs(z)))


def decide(arms: list[Arm], metric: str, confidence: float) -> dict[str, Any]:
    """The winner (the best rate; ties to the earlier variant) and what the test found."""
    ranked = sorted(arms, key=lambda a: (-a.rate, a.variant))
    best, runner = ranked[0], ranked[1] if len(ranked) > 1 else None
    z, p = two_proportion_z(best, runner) if runner is not None else (0.0, 1.0)
    significant = runner is not None and best.rate > runner.rate and p < 1 - confidence
    word = METRIC_WORDS.get(metric, metric)
    pct = f"{confidence:.0%}"
    if runner is None:
        sentence = f"Only variant {letter(best.variant)} was sent."
    elif significant:
        sentence = (
            f"Variant {letter(best.variant)} had the higher {word} rate "
            f"({best.rate:.1%} against {runner.rate:.1%} for variant {letter(runner.variant)}), "
            f"significantly better at {pct} confidence; the rest received variant "
            f"{letter(best.variant)}."
        )
    else:
        sentence = (
            f"No variant was significantly better at {pct} confidence; sent the one with the "
            f"higher {word} rate: variant {letter(best.variant)} ({best.rate:.1%} against "
            f"{runner.rate:.1%} for variant {letter(runner.variant)})."
        )
    return {
        "winner": best.variant,
        "runner_up": runner.variant if runner is not None else None,
        "metric": metric,
        "confidence": confidence,
        "z": round(z, 4),
        "p_value": round(p, 6),
        "significant": significant,
        "rates": [
            {"variant": a.variant, "sent": a.sent, "hits": a.hits, "rate": round(a.rate, 6)}
            for a in sorted(arms, key=lambda a: a.variant)
        ],
        "sentence": sentence,
    }
