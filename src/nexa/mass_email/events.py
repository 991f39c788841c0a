"""The events mass email publishes: its life cycle, and the steps of a send."""

from __future__ import annotations

from nexa.record.events import declare_lifecycle, declare_record_event

MASS_EMAIL_EVENTS = [
    *declare_lifecycle("mass_email", "mass email"),
    declare_record_event("mass_email", "scheduled", "A mass email was scheduled"),
    declare_record_event("mass_email", "cancelled", "A mass email was cancelled"),
    declare_record_event(
        "mass_email", "winner_picked", "A mass email's A/B test picked the variant the rest get"
    ),
    declare_record_event("mass_email", "sent", "A mass email was written for every recipient"),
]
