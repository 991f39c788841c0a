"""All of authentication's SQL: sign-in attempts, users by email, API keys, what an actor
is made of (visibility defaults, the team tree and its members)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from nexa.core.text import text_key
from nexa.models import ApiKey, LoginAttempt, OrgSetting, Team, User


class AuthRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def attempts_since(self, client: str, since: datetime) -> int:
        return (
            self.session.scalar(
                select(func.count())
                .select_from(LoginAttempt)
                .where(LoginAttempt.client == client, LoginAttempt.attempted_at >= since)
            )
            or 0
        )

    def user_by_email(self, email_norm: str) -> User | None:
        return self.session.scalars(
            select(User).where(User.email_key == text_key(email_norm))
        ).first()

    def visibility_settings(self) -> list[tuple[str, str]]:
        rows = self.session.execute(
            select(OrgSetting.key, OrgSetting.value).where(OrgSetting.key.like("visibility.%"))
        ).all()
        return [(key, value) for key, value in rows]

    def team_parents(self) -> list[tuple[uuid.UUID, uuid.UUID | None]]:
        """(team, parent team) for every team."""
        return [
            (tid, parent) for tid, parent in self.session.execute(select(Team.id, Team.parent_id))
        ]

    def member_ids(self, team_ids: set[uuid.UUID]) -> set[uuid.UUID]:
        return set(self.session.scalars(select(User.id).where(User.team_id.in_(team_ids))).all())

    def api_key_by_digest(self, digest: str) -> ApiKey | None:
        return self.session.scalars(select(ApiKey).where(ApiKey.token_sha256 == digest)).first()

    def touch_api_key(self, key_id: uuid.UUID, at: datetime) -> None:
        self.session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=at))
