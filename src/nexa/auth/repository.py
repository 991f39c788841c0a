"""All of authentication's SQL: sign-in attempts, web sessions, users by email, API keys,
what an actor is made of (visibility defaults, the team tree and its members)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from nexa.core.text import text_key
from nexa.models import ApiKey, LoginAttempt, OrgSetting, Team, User, WebSession


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

    def failures_since(self, email_norm: str, client: str, since: datetime) -> list[datetime]:
        """When sign-ins for ``email_norm`` from ``client`` failed since ``since`` and since
        that pair's last success (newest first; throttled attempts are not failures)."""
        last_success = (
            select(func.max(LoginAttempt.attempted_at))
            .where(
                LoginAttempt.email == email_norm,
                LoginAttempt.client == client,
                LoginAttempt.succeeded.is_(True),
            )
            .scalar_subquery()
        )
        return list(
            self.session.scalars(
                select(LoginAttempt.attempted_at)
                .where(
                    LoginAttempt.email == email_norm,
                    LoginAttempt.client == client,
                    LoginAttempt.attempted_at >= since,
                    LoginAttempt.succeeded.is_(False),
                    LoginAttempt.throttled.is_(False),
                    or_(last_success.is_(None), LoginAttempt.attempted_at > last_success),
                )
                .order_by(LoginAttempt.attempted_at.desc())
                .limit(64)
            )
        )

    def delete_attempts_before(self, before: datetime) -> int:
        result = self.session.execute(
            delete(LoginAttempt).where(LoginAttempt.attempted_at < before)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    # ---- web sessions ----------------------------------------------------------------------

    def live_session_user(self, session_id: str, now: datetime) -> tuple[User, datetime] | None:
        """The active user of a live session and when the session was last seen: one
        primary-key lookup joined to its user."""
        row = self.session.execute(
            select(User, WebSession.last_seen_at)
            .join(WebSession, WebSession.user_id == User.id)
            .where(
                WebSession.id == session_id,
                WebSession.ended_at.is_(None),
                WebSession.expires_at > now,
                User.is_active.is_(True),
            )
        ).first()
        return None if row is None else (row[0], row[1])

    def live_sessions(self, user_id: uuid.UUID, now: datetime) -> list[WebSession]:
        return list(
            self.session.scalars(
                select(WebSession)
                .where(
                    WebSession.user_id == user_id,
                    WebSession.ended_at.is_(None),
                    WebSession.expires_at > now,
                )
                .order_by(WebSession.last_seen_at.desc())
            )
        )

    def end_session(self, session_id: str, at: datetime, reason: str) -> int:
        result = self.session.execute(
            update(WebSession)
            .where(WebSession.id == session_id, WebSession.ended_at.is_(None))
            .values(ended_at=at, ended_reason=reason)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def end_user_sessions(self, user_id: uuid.UUID, at: datetime, reason: str) -> int:
        result = self.session.execute(
            update(WebSession)
            .where(
                WebSession.user_id == user_id,
                WebSession.ended_at.is_(None),
                WebSession.expires_at > at,
            )
            .values(ended_at=at, ended_reason=reason)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def touch_session(self, session_id: str, at: datetime) -> None:
        self.session.execute(
            update(WebSession).where(WebSession.id == session_id).values(last_seen_at=at)
        )

    def delete_dead_sessions(self, now: datetime) -> int:
        result = self.session.execute(
            delete(WebSession).where(
                or_(WebSession.ended_at.is_not(None), WebSession.expires_at <= now)
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

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
