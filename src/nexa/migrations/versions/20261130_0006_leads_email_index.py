"""leads: bring back the live-email unique index on SQLite

0004 altered ``leads`` with ``batch_alter_table``, which on SQLite rebuilds the table from
its reflection; reflection cannot see expression indexes, so ``uq_leads_email_live``
(``lower(email)`` among live leads) was silently dropped. Without it every email lookup
(uniqueness checks, import dedupe) scanned the table and twins were no longer refused by the
database. PostgreSQL kept the index; ``IF NOT EXISTS`` makes this a no-op there.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 16:00:00
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

WHERE = "deleted_at IS NULL AND email IS NOT NULL"


def upgrade() -> None:
    twins = (
        op.get_bind()
        .execute(
            text(
                f"SELECT lower(email) FROM leads WHERE {WHERE} "  # noqa: S608
                "GROUP BY lower(email) HAVING count(*) > 1 LIMIT 10"
            )
        )
        .scalars()
        .all()
    )
    if twins:
        raise RuntimeError(
            "live leads share an email, so the unique index uq_leads_email_live cannot be "
            "restored; merge or delete the twins first: " + ", ".join(twins)
        )
    op.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS uq_leads_email_live "
        f"ON leads (lower(email)) WHERE {WHERE}"
    )


def downgrade() -> None:
    """Nothing: the index belongs to 0002's schema."""
