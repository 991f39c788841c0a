"""Delivery of campaign messages: an ``email.sent`` event (the SMTP server took the message)
is a ``delivered`` touch on the campaign and step that queued it, with its daily counter.

The engine's ``sent`` touch is written when the step queues the message; ``delivered`` is
written here, when the outbox reports the server's acceptance, so ``delivered`` ≤ ``sent``
and the difference is what is still queued, deferred or failed. Deliveries come in batches
(``publish_batch``): the batch form maps the batch's messages to their step runs in one
query and writes the touches in one executemany.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from nexa.campaign.repository import CampaignRepository, Touch, record_touches
from nexa.core import clock
from nexa.core.events import Event, batch_form, subscribe


def _delivered(session: Session, message_ids: list[uuid.UUID]) -> None:
    if not message_ids:
        return
    now = clock.now()
    repo = CampaignRepository(session)
    touches: list[Touch] = []
    for start in range(0, len(message_ids), 500):
        for run, member in repo.runs_of_messages(message_ids[start : start + 500]):
            touches.append(
                Touch(
                    run.campaign_id,
                    run.step_id,
                    member.record_type,
                    member.record_id,
                    run.channel,
                    "delivered",
                    now,
                    run.message_id,
                )
            )
    record_touches(session, touches)


@subscribe("email.sent")
def on_sent(session: Session, event: Event) -> None:
    if event.record_id is not None:
        _delivered(session, [event.record_id])


@batch_form(on_sent)
def on_sent_batch(session: Session, events: list[Event]) -> None:
    _delivered(session, [e.record_id for e in events if e.record_id is not None])
