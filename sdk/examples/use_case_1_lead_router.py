"""Use Case 1: intelligent lead scoring and routing, with the Nexa SDK.

Nexa scores a lead as it is created (fit and intent from a scorecard, or a model trained on
your own closed leads once there are enough) and enriches it (email kind, seniority, phone,
account match). The router asks the server to route it by the organization's score bands —
here the spec's: 80+ → the segment's top performer, urgent, 5-minute SLA; 60+ → round robin,
high, 30 minutes; below → the SDR queue, normal, 4 hours — which sets the owner and starts the
SLA clock. Leads scoring under 50 are put in the nurture list: a running campaign whose
segment is that list (Use Case 4) enrols them at its next pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from nexa_sdk import Client
from nexa_sdk.models import LeadOut, LeadScoreOut, RoutingResult

NURTURE_BELOW = 50

SPEC_BANDS = [
    {"min_score": 80, "assign": "top_performer", "priority": "urgent", "sla_minutes": 5},
    {"min_score": 60, "assign": "round_robin", "priority": "high", "sla_minutes": 30},
    {"min_score": 0, "assign": "sdr_queue", "priority": "normal", "sla_minutes": 240},
]


def configure_routing(crm: Client, *, sdr_queue: list[UUID]) -> None:
    """Once, as an admin: the spec's bands; the router below decides when leads are routed
    and who is nurtured, so automatic routing on create is switched off."""
    settings = crm.routing.settings().model_dump(exclude_none=True)
    settings.update(
        enabled=False,
        bands=SPEC_BANDS,
        nurture_below=None,
        sdr_queue={"user_ids": sdr_queue},
        working_hours={"always": True},
    )
    crm.routing.update_settings(settings)


@dataclass
class ProcessedLead:
    lead: LeadOut
    score: LeadScoreOut
    routing: RoutingResult
    automated_actions: list[str] = field(default_factory=list)


class IntelligentLeadRouter:
    def __init__(self, crm: Client, *, nurture_list_id: UUID, fallback_owner_id: UUID) -> None:
        self.crm = crm
        self.nurture_list_id = nurture_list_id
        self.fallback_owner_id = fallback_owner_id

    def process_incoming_lead(self, lead_data: dict[str, Any]) -> ProcessedLead:
        # Create the lead: it is scored and enriched in the same request
        lead = self.crm.leads.create(lead_data)
        score = self.crm.leads.score(lead.id)

        # Route by score band and segment: owner, priority and SLA clock, set by the server
        routing = self.crm.leads.route(lead.id)
        actions = [f"routed by {routing.rule}: {routing.priority}, {routing.sla_minutes} min SLA"]

        # Nobody in the band's pool (e.g. an empty SDR queue): hand it to a named owner
        if routing.owner_id is None:
            lead = self.crm.leads.assign(lead.id, self.fallback_owner_id)
            actions.append("assigned to the fallback owner")

        # Nurture low scorers
        if (score.score or 0) < NURTURE_BELOW:
            self.crm.lists.add_members(self.nurture_list_id, [lead.id])
            actions.append("enrolled in nurture")

        # What the assignee should do first
        actions += [a.title for a in self.crm.leads.next_best_action(lead.id).items[:2]]
        return ProcessedLead(self.crm.leads.get(lead.id), score, routing, actions)
