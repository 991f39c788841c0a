"""Users, teams and API keys for tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from nexa.auth.service import actor_for
from nexa.core.actor import SYSTEM, Actor
from nexa.models import Team, User
from nexa.user.schemas import UserCreate
from nexa.user.service import create_api_key, create_user

PASSWORD = "correct horse battery staple"


@dataclass
class Person:
    user: User
    token: str
    session: Any

    @property
    def id(self) -> uuid.UUID:
        return self.user.id

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def actor(self) -> Actor:
        return actor_for(self.session, self.user)


def make_team(db: Any, name: str | None = None, parent: Team | None = None) -> Team:
    team = Team(
        id=uuid.uuid4(),
        name=name or f"Team {uuid.uuid4().hex[:8]}",
        parent_id=parent.id if parent else None,
    )
    db.add(team)
    db.flush()
    return team


def make_user(
    db: Any,
    role: str = "sales_rep",
    team: Team | None = None,
    *,
    name: str | None = None,
    password: str | None = None,
    scopes: list[str] | None = None,
) -> Person:
    suffix = uuid.uuid4().hex[:8]
    user = create_user(
        db,
        SYSTEM,
        UserCreate(
            email=f"{role}.{suffix}@example.com",
            full_name=name or f"{role.replace('_', ' ').title()} {suffix}",
            role=role,
            team_id=team.id if team else None,
            password=password,  # type: ignore[arg-type]
        ),
    )
    _, token = create_api_key(db, SYSTEM, user_id=user.id, name="test", scopes=scopes or ["*"])
    return Person(user, token, db)


@dataclass
class Org:
    """Two sales teams under one parent: managers see their team, reps their own."""

    admin: Person
    manager: Person
    rep: Person
    teammate: Person
    other_rep: Person
    other_manager: Person
    support: Person
    marketer: Person
    read_only: Person
    by_role: dict[str, Person] = field(default_factory=dict)


def build_org(db: Any) -> Org:
    sales = make_team(db, f"Sales {uuid.uuid4().hex[:6]}")
    east = make_team(db, f"East {uuid.uuid4().hex[:6]}", sales)
    west = make_team(db, f"West {uuid.uuid4().hex[:6]}", sales)
    manager = make_user(db, "manager", east)
    east.manager_id = manager.id
    other_manager = make_user(db, "manager", west)
    west.manager_id = other_manager.id
    org = Org(
        admin=make_user(db, "admin"),
        manager=manager,
        rep=make_user(db, "sales_rep", east),
        teammate=make_user(db, "sales_rep", east),
        other_rep=make_user(db, "sales_rep", west),
        other_manager=other_manager,
        support=make_user(db, "support_agent"),
        marketer=make_user(db, "marketer"),
        read_only=make_user(db, "read_only"),
    )
    org.by_role = {
        "admin": org.admin,
        "manager": org.manager,
        "sales_rep": org.rep,
        "support_agent": org.support,
        "marketer": org.marketer,
        "read_only": org.read_only,
    }
    db.flush()
    return org
