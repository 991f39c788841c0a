"""A rep starts the demo with a handful of unread notifications, not the ~100 that building
it leaves (every lead and deal assigned at once), issue 18 point 5."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, select

from nexa.demo import build_demo
from nexa.demo.service import DEMO_UNREAD, settle_notifications
from nexa.models import Notification, User
from nexa.notification.service import notify


@contextmanager
def _same_session(db: Any) -> Iterator[Any]:
    yield db
    db.flush()


def _unread(db: Any, user_id: Any) -> int:
    stmt = select(func.count()).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    return int(db.scalar(stmt) or 0)


def test_the_demo_starts_each_rep_with_a_handful_unread(db: Any) -> None:
    build_demo(lambda: _same_session(db), accounts=12, contacts=12, sales=True)
    reps = list(db.scalars(select(User.id).where(User.role == "sales_rep")))
    assert reps
    for rep in reps:
        total = db.scalar(select(func.count()).where(Notification.user_id == rep))
        assert total and total > DEMO_UNREAD  # the demo did assign them plenty
        assert 0 < _unread(db, rep) <= DEMO_UNREAD <= 10


def test_settling_keeps_the_newest_unread(db: Any, users: Any) -> None:
    made = [notify(db, user_id=users.rep.id, kind="assigned", title=f"n{i}") for i in range(8)]
    db.flush()
    assert settle_notifications(db, keep=3) >= 5
    unread = set(
        db.scalars(
            select(Notification.title).where(
                Notification.user_id == users.rep.id, Notification.read_at.is_(None)
            )
        )
    )
    assert len(unread) == 3 and len(made) == 8
