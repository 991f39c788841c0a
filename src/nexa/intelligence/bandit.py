"""Content optimisation (issue 19): the variants of a step chosen by Thompson sampling.

Each variant has ``(successes, trials)`` — replies and clicks over sends — and a
Beta(1 + successes, 1 + failures) belief about its rate; ``choose`` draws one rate from each
belief and sends the variant with the highest draw. A variant that does better is drawn high
more often and gets more traffic; one with few sends keeps a wide belief and is still tried
now and then. Pass a seeded ``random.Random`` for reproducible choices (tests).
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def choose(stats: Mapping[K, tuple[int, int]], rng: random.Random) -> K:
    """The variant to send next: the highest draw from Beta(1 + s, 1 + f) per variant (ties:
    the first in ``stats``' order)."""
    if not stats:
        raise ValueError("no variants to choose from")
    best: K | None = None
    best_draw = -1.0
    for key, (successes, trials) in stats.items():
        if successes < 0 or trials < successes:
            raise ValueError(f"variant {key!r}: successes must be between 0 and the trials")
        draw = rng.betavariate(1 + successes, 1 + trials - successes)
        if draw > best_draw:
            best, best_draw = key, draw
    assert best is not None
    return best
