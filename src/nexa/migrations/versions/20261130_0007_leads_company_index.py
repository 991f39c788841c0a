"""leads: an index on lower(company), so an import finds fuzzy-twin candidates (company
prefixes) per batch without scanning every lead

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 16:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS ix_leads_company_lower ON leads (lower(company))")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_leads_company_lower")
