"""All of the webhooks' SQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from nexa.models import OrgSetting, User, WebhookAttempt, WebhookDelivery, WebhookEndpoint

ALLOWED_HOSTS_KEY = "webhooks.allowed_hosts"
RETRYABLE = ("pending", "failed")


class WebhookRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # ---- endpoints ------------------------------------------------------------------------

    def endpoints(self) -> list[WebhookEndpoint]:
        stmt = select(WebhookEndpoint).order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
        return list(self.session.scalars(stmt))

    def active_endpoints(self) -> list[WebhookEndpoint]:
        stmt = (
            select(WebhookEndpoint)
            .where(WebhookEndpoint.active.is_(True))
            .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
        )
        return list(self.session.scalars(stmt))

    def endpoint(self, endpoint_id: uuid.UUID) -> WebhookEndpoint | None:
        return self.session.get(WebhookEndpoint, endpoint_id)

    def add_endpoint(self, endpoint: WebhookEndpoint) -> WebhookEndpoint:
        self.session.add(endpoint)
        self.session.flush()
        return endpoint

    def delete_endpoint(self, endpoint: WebhookEndpoint) -> None:
        self.session.delete(endpoint)
        self.session.flush()

    # ---- deliveries -----------------------------------------------------------------------

    def insert_deliveries(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert rows, skipping any (endpoint, event) pair that already has one."""
        if not rows:
            return
        dialect = self.session.get_bind().dialect.name
        if dialect == "postgresql":
            stmt: Any = postgresql.insert(WebhookDelivery).on_conflict_do_nothing(
                index_elements=["endpoint_id", "event_id"]
            )
        elif dialect == "sqlite":
            stmt = sqlite.insert(WebhookDelivery).on_conflict_do_nothing(
                index_elements=["endpoint_id", "event_id"]
            )
        else:  # pragma: no cover - the two supported databases are handled above
            raise RuntimeError(f"unsupported database {dialect}")
        self.session.execute(stmt, list(rows))

    def delivery_ids_for_event(self, event_id: uuid.UUID) -> list[uuid.UUID]:
        stmt = select(WebhookDelivery.id).where(
            WebhookDelivery.event_id == event_id, WebhookDelivery.status.in_(RETRYABLE)
        )
        return list(self.session.scalars(stmt))

    def delivery(self, delivery_id: uuid.UUID) -> WebhookDelivery | None:
        return self.session.get(WebhookDelivery, delivery_id)

    def add_delivery(self, delivery: WebhookDelivery) -> WebhookDelivery:
        self.session.add(delivery)
        self.session.flush()
        return delivery

    def deliveries_of(
        self, endpoint_id: uuid.UUID, *, status: str | None, limit: int
    ) -> list[WebhookDelivery]:
        stmt = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
        if status:
            stmt = stmt.where(WebhookDelivery.status == status)
        stmt = stmt.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
        return list(self.session.scalars(stmt.limit(limit)))

    def due_delivery_ids(self, now: datetime, limit: int) -> list[uuid.UUID]:
        """Pending or failed deliveries of active endpoints whose time has come."""
        stmt = (
            select(WebhookDelivery.id)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(
                WebhookEndpoint.active.is_(True),
                WebhookDelivery.status.in_(RETRYABLE),
                WebhookDelivery.next_attempt_at <= now,
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    def claim(self, delivery_id: uuid.UUID, now: datetime, lease_until: datetime) -> bool:
        """Take a due delivery for one attempt (compare-and-set: of two workers racing for
        it, one wins); its next attempt moves to ``lease_until`` in case this one dies."""
        active = select(WebhookEndpoint.id).where(WebhookEndpoint.active.is_(True))
        stmt = (
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.status.in_(RETRYABLE),
                WebhookDelivery.next_attempt_at <= now,
                WebhookDelivery.endpoint_id.in_(active.scalar_subquery()),
            )
            .values(next_attempt_at=lease_until, attempts=WebhookDelivery.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        result: Any = self.session.execute(stmt)
        return bool(result.rowcount == 1)

    def add_attempt(self, attempt: WebhookAttempt) -> None:
        self.session.add(attempt)
        self.session.flush()

    def attempts_of(self, delivery_id: uuid.UUID) -> list[WebhookAttempt]:
        stmt = (
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == delivery_id)
            .order_by(WebhookAttempt.attempted_at.desc(), WebhookAttempt.id)
        )
        return list(self.session.scalars(stmt))

    # ---- other tables -----------------------------------------------------------------------

    def user_name(self, user_id: uuid.UUID | None) -> str | None:
        if user_id is None:
            return None
        return self.session.scalar(select(User.full_name).where(User.id == user_id))

    def allowed_hosts(self) -> list[str]:
        row = self.session.get(OrgSetting, ALLOWED_HOSTS_KEY)
        value = row.value if row is not None else None
        return [str(v) for v in value] if isinstance(value, list) else []

    def set_allowed_hosts(self, hosts: list[str]) -> None:
        row = self.session.get(OrgSetting, ALLOWED_HOSTS_KEY)
        if row is None:
            self.session.add(OrgSetting(key=ALLOWED_HOSTS_KEY, value=hosts))
        else:
            row.value = hosts
        self.session.flush()
