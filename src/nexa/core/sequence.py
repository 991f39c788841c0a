"""Gap-tolerant human-readable numbers (ACC-000042): one counter row per sequence, bumped
with UPDATE … so concurrent writers queue on the row lock instead of colliding."""

from __future__ import annotations

from sqlalchemy import BigInteger, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from nexa.core.db.base import Base


class Counter(Base):
    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


def next_value(session: Session, name: str) -> int:
    result = session.execute(
        update(Counter)
        .where(Counter.name == name)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    ).scalar()
    if result is None:
        with session.begin_nested():
            session.add(Counter(name=name, value=0))
        result = session.execute(
            update(Counter)
            .where(Counter.name == name)
            .values(value=Counter.value + 1)
            .returning(Counter.value)
        ).scalar()
    return int(result or 0)


__all__ = ["Counter", "next_value", "select"]
