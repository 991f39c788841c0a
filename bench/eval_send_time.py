"""Send-time optimisation measured (issue 19): on a generated population whose members have
known preferred hours (``tests/factories/engagement.py``: real ``email_messages`` and
``email_events`` rows in a scratch SQLite organization), how often ``best_hours`` picks each
member's true hour of the week, over the members with 10 or more opens — beside the baseline
(the organization's best hour for everyone) and the same choice without the neighbour
smoothing.

Run: ``.venv/bin/python bench/eval_send_time.py [--members 300] [--seeds 19 20 21]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--seeds", type=int, nargs="+", default=[19, 20, 21])
    parser.add_argument("--min-opens", type=int, default=10)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))  # the test factories generate the population
    with tempfile.TemporaryDirectory(prefix="nexa-bench-send-time-") as folder:
        url = f"sqlite:///{Path(folder, 'send_time.db').as_posix()}"
        os.environ["NEXA_VAR_DIR"] = folder
        os.environ["NEXA_DATABASE_URL"] = url
        from tests.factories.engagement import make_engagement_population

        from nexa.core.db import make_engine, session_scope
        from nexa.intelligence import send_time
        from nexa.migrations import upgrade

        upgrade(url)
        engine = make_engine(url)
        for seed in args.seeds:
            with session_scope(engine=engine) as session:
                session.info["unscoped_ok"] = True
                started = time.perf_counter()
                population = make_engagement_population(session, members=args.members, seed=seed)
                built = time.perf_counter() - started
                truth = {m.key: m.true_hour for m in population}
                opens = {m.key: m.opens for m in population}
                started = time.perf_counter()
                result = send_time.evaluate(session, truth, opens, min_opens=args.min_opens)
                seconds = time.perf_counter() - started
                smoothing = send_time.NEIGHBOUR_WEIGHT
                send_time.NEIGHBOUR_WEIGHT = 0.0
                plain = send_time.evaluate(session, truth, opens, min_opens=args.min_opens)
                send_time.NEIGHBOUR_WEIGHT = smoothing
                print(
                    f"seed {seed}: {result.summary()}; without smoothing {plain.accuracy:.1%}"
                    f" (population built in {built:.1f} s, evaluated in {seconds:.2f} s)"
                )
                session.rollback()  # each seed on an empty organization
        engine.dispose()


if __name__ == "__main__":
    main()
