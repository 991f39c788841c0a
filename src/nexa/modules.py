"""The module registry: every module an entry point loads by name, in one place, in order.

Order is behaviour here: the in-transaction subscribers run in the order they registered
(``INSTALL``), page routes match in the order they were added (``WEB_PAGES``). A name that
does not import fails loudly (``load`` raises, naming the group): nothing is skipped.
A new domain adds its modules to the groups below (its service to ``INSTALL``, its
``jobs`` to ``JOBS``, its ``endpoints`` to ``API_ROUTERS``, its pages to ``WEB_PAGES``).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from types import ModuleType
from typing import Any

# ---- what nexa.subscribers.install() imports, in this order -----------------------------
# Each domain's service (its events are declared and its repository registered for links,
# the timeline and search), then its subscribers when it has some.
INSTALL: tuple[str, ...] = (
    "nexa.activity.subscribers",
    "nexa.core.audit",
    "nexa.notification.subscribers",
    "nexa.account.service",
    "nexa.contact.service",
    "nexa.lead.service",
    "nexa.deal.service",
    "nexa.deal.subscribers",
    "nexa.product.service",
    "nexa.quote.service",
    "nexa.order.service",
    "nexa.task.service",
    "nexa.meeting.service",
    "nexa.call.service",
    "nexa.note.service",
    "nexa.segment.service",
    "nexa.imports.service",
    "nexa.search.service",
    "nexa.search.subscribers",
    # intelligence: enrichment first, then the score, then routing on the score
    "nexa.enrichment.service",
    "nexa.enrichment.subscribers",
    "nexa.scoring.service",
    "nexa.scoring.subscribers",
    "nexa.routing.service",
    "nexa.routing.subscribers",
    "nexa.forecast.service",
    "nexa.forecast.subscribers",
    "nexa.email.service",
    "nexa.campaign.service",
    "nexa.campaign.subscribers",
    "nexa.booking.service",
    "nexa.sms.service",
    "nexa.mass_email.service",
    "nexa.campaign.tracking",
)

# ---- background jobs and periodic tasks (each on its queue: see nexa.worker) ------------
JOBS: tuple[str, ...] = (
    "nexa.job.jobs",
    "nexa.auth.jobs",
    "nexa.task.jobs",
    "nexa.quote.jobs",
    "nexa.imports.jobs",
    "nexa.call.jobs",
    "nexa.scoring.jobs",
    "nexa.routing.jobs",
    "nexa.forecast.jobs",
    "nexa.webhook.jobs",
    "nexa.email.jobs",
    "nexa.campaign.jobs",
    "nexa.sms.jobs",
    "nexa.mass_email.jobs",
)

# After-commit work hanging off the outbox: (module, handler, event prefix).
OUTBOX_HANDLERS: tuple[tuple[str, str, str], ...] = (
    ("nexa.webhook.service", "fan_out", ""),
    ("nexa.email.service", "on_queued", "email.queued"),
    ("nexa.email.notifications", "on_notification", "notification.created"),
    ("nexa.deal.flows", "on_closed_won_queued", "deal.closed_won_queued"),
    ("nexa.sms.service", "on_queued", "sms.queued"),
)

# ---- /api/v1: each module's ``router`` ---------------------------------------------------
API_ROUTERS: tuple[str, ...] = (
    "nexa.account.endpoints",
    "nexa.contact.endpoints",
    "nexa.metadata.endpoints",
    "nexa.metadata.organization_endpoints",
    "nexa.notification.endpoints",
    "nexa.user.endpoints",
    "nexa.team.endpoints",
    "nexa.auth.endpoints",
    "nexa.activity.endpoints",
    "nexa.job.endpoints",
    "nexa.lead.endpoints",
    "nexa.deal.endpoints",
    "nexa.product.endpoints",
    "nexa.quote.endpoints",
    "nexa.order.endpoints",
    "nexa.task.endpoints",
    "nexa.meeting.endpoints",
    "nexa.call.endpoints",
    "nexa.note.endpoints",
    "nexa.segment.endpoints",
    "nexa.imports.endpoints",
    "nexa.search.endpoints",
    "nexa.scoring.endpoints",
    "nexa.routing.endpoints",
    "nexa.forecast.endpoints",
    "nexa.enrichment.endpoints",
    "nexa.webhook.endpoints",
    "nexa.email.endpoints",
    "nexa.campaign.endpoints",
    "nexa.booking.endpoints",
    "nexa.sms.endpoints",
    "nexa.mass_email.endpoints",
    "nexa.campaign.analytics_endpoints",
)
# Routers outside /api/v1 that answer without an API key (the public web-to-lead forms, the
# open pixel, tracked links and unsubscribe links of sent mail, booking pages, inbound SMS).
PUBLIC_ROUTERS: tuple[str, ...] = (
    "nexa.lead.public",
    "nexa.email.public",
    "nexa.web.booking.public",
    "nexa.sms.public",
)

# ---- the web UI: each module's ``router``, registered before the generic record pages (so
# /deals/board is not read as a deal id) and in this order -------------------------------
WEB_PAGES: tuple[str, ...] = (
    "nexa.web.composer",  # first: the composer is the first card of a record page
    "nexa.web.search.routes",
    "nexa.web.dashboard.routes",
    "nexa.web.lead.routes",
    "nexa.web.account.routes",
    "nexa.web.deal.routes",
    "nexa.web.task.routes",
    "nexa.web.meeting.routes",
    "nexa.web.admin.routes",
    "nexa.web.admin.queues",
    "nexa.web.admin.organization",
    "nexa.web.segment.routes",
    "nexa.web.campaign.routes",
    "nexa.web.imports.routes",
    "nexa.web.quote.routes",
    "nexa.web.order.routes",
    "nexa.web.call.routes",
    "nexa.web.scoring.routes",
    "nexa.web.routing.routes",
    "nexa.web.forecast.routes",
    "nexa.web.enrichment.routes",
    "nexa.web.webhook.routes",
    "nexa.web.email.routes",
    "nexa.web.email.compose",
    "nexa.web.booking.routes",
    "nexa.web.sms.routes",
    "nexa.web.mass_email.routes",
    "nexa.web.profile.routes",
    "nexa.web.notification.routes",
    "nexa.web.campaign.analytics",
)

# ---- `nexa ai …`: each intelligence area adds its commands from its own module ----------
AI_COMMANDS: tuple[str, ...] = ("nexa.cli.ai_leads", "nexa.cli.ai_deals")

GROUPS: dict[str, tuple[str, ...]] = {
    "INSTALL": INSTALL,
    "JOBS": JOBS,
    "OUTBOX_HANDLERS": tuple(module for module, _, _ in OUTBOX_HANDLERS),
    "API_ROUTERS": API_ROUTERS,
    "PUBLIC_ROUTERS": PUBLIC_ROUTERS,
    "WEB_PAGES": WEB_PAGES,
    "AI_COMMANDS": AI_COMMANDS,
}


class MissingModule(ImportError):
    """A registered module does not exist (a misspelt or removed name)."""


def load(names: Iterable[str]) -> list[ModuleType]:
    """Import each module, in order. A name that does not exist raises ``MissingModule``;
    a module that exists but fails to import raises its own error."""
    loaded = []
    for name in names:
        try:
            loaded.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                group = next((g for g, members in GROUPS.items() if name in members), None)
                where = f" (listed in nexa.modules.{group})" if group else ""
                raise MissingModule(f"module {name!r} does not exist{where}") from exc
            raise
    return loaded


def routers(names: Iterable[str], attribute: str = "router") -> list[Any]:
    """Each module's router (``attribute``), in order."""
    return [getattr(module, attribute) for module in load(names)]
