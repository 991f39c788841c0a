"""The events orders publish: their life cycle, with the shared record payload."""

from __future__ import annotations

from nexa.record.events import declare_lifecycle

ORDER_EVENTS = declare_lifecycle("order", "order")
