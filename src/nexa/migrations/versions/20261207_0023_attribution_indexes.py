"""attribution indexes (issue 19, Analytics): a campaign's attribution finds its members'
deals and the leads behind them by indexed reads — deals by lead and by primary contact,
leads by the contact and the deal their conversion made

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 23:55:00
"""

from __future__ import annotations

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_deals_lead", "deals", ["lead_id"])
    op.create_index("ix_deals_primary_contact", "deals", ["primary_contact_id"])
    op.create_index("ix_leads_converted_contact", "leads", ["converted_contact_id"])
    op.create_index("ix_leads_converted_deal", "leads", ["converted_deal_id"])


def downgrade() -> None:
    op.drop_index("ix_leads_converted_deal", table_name="leads")
    op.drop_index("ix_leads_converted_contact", table_name="leads")
    op.drop_index("ix_deals_primary_contact", table_name="deals")
    op.drop_index("ix_deals_lead", table_name="deals")
