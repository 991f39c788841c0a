"""Global search with visibility inside the match query (issue 15, point 14), timed.

A scratch database holds ``--leads`` leads of one rep sharing a word, plus one lead of a
second rep in the same team; the second rep, the team's manager (team scope: every match
visible through the visibility clause) and an admin search for the word. Prints the median
and p95 of ``search.service.search`` (top 20) for each, and whether the rep's own lead was
found.

Run: ``.venv/bin/python bench/search_visibility.py --leads 50000`` (add ``--postgresql`` for
a scratch database on 127.0.0.1:5432).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session


def _org(url: str, leads: int) -> tuple[Any, Any, Any, Any, uuid.UUID]:
    from nexa.auth.service import actor_for
    from nexa.core.actor import SYSTEM
    from nexa.core.db import get_engine, utcnow
    from nexa.lead.repository import LeadRepository
    from nexa.models import Lead
    from nexa.search.service import index_new_records
    from nexa.team.schemas import TeamCreate
    from nexa.team.service import create_team
    from nexa.user.schemas import UserCreate
    from nexa.user.service import create_user

    engine = get_engine(url)
    with Session(engine) as session:
        team = create_team(session, SYSTEM, TeamCreate(name=f"Bench {uuid.uuid4().hex[:6]}"))
        people = []
        for role in ("admin", "sales_rep", "sales_rep", "manager"):
            tag = uuid.uuid4().hex[:8]
            people.append(
                create_user(
                    session,
                    SYSTEM,
                    UserCreate(
                        email=f"{role}.{tag}@bench.example",
                        full_name=f"Bench {tag}",
                        role=role,
                        team_id=team.id if role != "admin" else None,
                    ),
                )
            )
        admin, crowd, reader, manager = people
        team.manager_id = manager.id
        session.flush()
        defaults = LeadRepository.new_row_defaults()
        rows = []
        for i in range(leads + 1):
            now = utcnow()
            owner = reader if i == leads else crowd
            rows.append(
                {
                    **defaults,
                    "id": uuid.uuid4(),
                    "last_name": f"Lead {i}",
                    "company": "Quorvantis Labs",
                    "owner_id": owner.id,
                    "status": "new",
                    "tags": [],
                    "custom_fields": {},
                    "score_factors": [],
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            )
        session.execute(insert(Lead.__table__), rows)  # type: ignore[arg-type]
        index_new_records(session, "lead", [type("R", (), r) for r in rows])
        session.commit()
        return (
            actor_for(session, admin),
            actor_for(session, reader),
            actor_for(session, manager),
            engine,
            rows[-1]["id"],
        )


def _time(engine: Any, actor: Any, rounds: int) -> tuple[float, float, list[uuid.UUID]]:
    from nexa.search.service import search

    times = []
    ids: list[uuid.UUID] = []
    for _ in range(rounds):
        with Session(engine) as session:
            start = time.perf_counter()
            hits = search(session, actor, "quorvantis", limit=20)
            times.append((time.perf_counter() - start) * 1000)
            ids = [h.id for h in hits]
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], ids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--postgresql", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    from nexa.migrations import upgrade
    from nexa.subscribers import install

    install()
    if args.postgresql:
        import psycopg

        name = f"nexa_bench_{uuid.uuid4().hex[:6]}"
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    upgrade(url)
    admin, reader, manager, engine, own = _org(url, args.leads)
    readers = (
        ("admin (sees all)", admin),
        ("manager (team scope: sees all)", manager),
        ("rep (owns 1)", reader),
    )
    for label, actor in readers:
        median, p95, ids = _time(engine, actor, args.rounds)
        found = (
            ("own lead found" if own in ids else "own lead NOT found") if actor is reader else ""
        )
        print(f"{label}: median {median:.1f} ms, p95 {p95:.1f} ms, {len(ids)} hits, {found}")
    engine.dispose()
    if args.postgresql:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
