"""The events products publish: their life cycle, with the shared record payload."""

from __future__ import annotations

from nexa.record.events import declare_lifecycle

PRODUCT_EVENTS = declare_lifecycle("product", "product")
