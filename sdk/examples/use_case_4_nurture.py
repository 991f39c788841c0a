"""Use Case 4: a multi-channel nurture campaign, with the Nexa SDK.

``create_nurture_sequence`` builds the spec's sequence on a segment (a list): a welcome email
on day 0, a LinkedIn connection request on day 2 (a task for the owner: Nexa automates
nothing against LinkedIn), a case study on day 4 to those who opened the welcome, a text
message on day 7 to those who have not replied, and a discovery call on day 10 (a task with
its script) for leads scoring above 60. The goal is a booked demo; a reply, an unsubscribe,
a bounce or a booked meeting ends a person's sequence. The server's engine runs the steps
(every minute on the worker), in each person's time zone. ``handle_response`` asks for the
next best action after a response, with the lead's touch history, and carries it out by
creating the recommended task (the workflow issue brings ``actions.execute``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from nexa_sdk import Client
from nexa_sdk.models import CampaignOut, NextBestActionOut

STEPS: list[dict[str, Any]] = [
    {"day": 0, "channel": "email", "template": "welcome_value_prop", "personalize": True},
    {
        "day": 2,
        "channel": "linkedin",
        "action": "connection_request",
        "message": "personalized_intro",
    },
    {"day": 4, "channel": "email", "template": "case_study", "condition": "opened_previous"},
    {
        "day": 7,
        "channel": "sms",
        "template": "quick_question",
        "condition": "not_responded_to_emails",
    },
    {
        "day": 10,
        "channel": "voice",
        "action": "ai_call",
        "script": "discovery_intro",
        "condition": "score_above_60",
    },
]


class CampaignOrchestrator:
    def __init__(self, crm: Client) -> None:
        self.crm = crm

    def create_nurture_sequence(self, segment_id: UUID) -> CampaignOut:
        campaign = self.crm.campaigns.create(
            name="Enterprise Nurture Sequence",
            segment=segment_id,
            goal="demo_booking",
            channels=["email", "sms", "voice", "linkedin"],
        )
        # Define sequence steps
        self.crm.campaigns.add_steps(campaign.id, STEPS)
        # Enable AI optimization
        return self.crm.campaigns.enable_optimization(
            campaign.id,
            ["send_time", "channel_preference", "message_content", "sequence_order"],
        )

    def launch(self, campaign_id: UUID, segment_id: UUID) -> int:
        """Start the campaign and enrol everyone in its segment; how many were enrolled."""
        self.crm.campaigns.start(campaign_id)
        return self.crm.campaigns.enroll(campaign_id, list_id=segment_id).enrolled

    def handle_response(self, lead_id: UUID, response: dict[str, Any]) -> NextBestActionOut:
        # AI determines next best action
        next_action = self.crm.leads.next_best_action(
            lead_id,
            response=response,
            previous_touches=self.crm.leads.touch_history(lead_id).items,
        )
        # Execute recommended action: until workflows bring actions.execute, the task
        if next_action.action is not None:
            self.crm.tasks.create(
                title=next_action.action.title,
                description=next_action.action.reason,
                due_at=next_action.action.due_at,
                related_type="lead",
                related_id=lead_id,
            )
        return next_action
