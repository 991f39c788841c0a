"""The sidebar: the UI's areas, each a group of links, described once.

A new area (Service: tickets, inbox, knowledge base) is one ``NavGroup`` entry in ``NAV``;
a group shows only the links the actor may open (each link keeps its permission) and is left
out when none is left, so no empty area is ever shown. The current place is the link whose
path is the longest prefix of the page's path (``/deals/board`` is Pipeline, ``/deals/…``
is Deals)."""

from __future__ import annotations

from dataclasses import dataclass

from nexa.core.actor import Actor


@dataclass(frozen=True)
class NavLink:
    label: str
    path: str
    permission: str | None = None  # None: every signed-in user
    admin_only: bool = False
    also: tuple[str, ...] = ()  # other path prefixes that belong to this place

    def visible_to(self, actor: Actor) -> bool:
        if self.admin_only and not actor.is_admin:
            return False
        return self.permission is None or actor.can(self.permission)

    def match_length(self, path: str) -> int:
        """How well ``path`` matches this place (0: not at all)."""
        best = 0
        for prefix in (self.path, *self.also):
            if path == prefix or (prefix != "/" and path.startswith(prefix.rstrip("/") + "/")):
                best = max(best, len(prefix))
        return best


@dataclass(frozen=True)
class NavGroup:
    key: str  # stable: the collapsed state is remembered under it
    label: str
    links: tuple[NavLink, ...]


NAV: tuple[NavGroup, ...] = (
    NavGroup("home", "", (NavLink("Home", "/"),)),
    NavGroup(
        "sales",
        "Sales",
        (
            NavLink("Leads", "/leads", "lead:read"),
            NavLink("Contacts", "/contacts", "contact:read"),
            NavLink("Accounts", "/accounts", "account:read"),
            NavLink("Pipeline", "/deals/board", "deal:read"),
            NavLink("Deals", "/deals", "deal:read"),
            NavLink("Forecast", "/forecast", "deal:read"),
            NavLink("Quotes", "/quotes", "quote:read"),
            NavLink("Orders", "/orders", "order:read"),
            NavLink("Products", "/products", "product:read"),
        ),
    ),
    NavGroup(
        "activities",
        "Activities",
        (
            NavLink("Tasks", "/tasks", "task:read"),
            NavLink("Meetings", "/meetings", "meeting:read"),
            NavLink("Calls", "/calls", "call:read"),
        ),
    ),
    NavGroup(
        "marketing",
        "Marketing",
        (
            NavLink("Lists", "/lists", "list:read"),
            NavLink("Campaigns", "/campaigns", "campaign:read"),
            NavLink("Campaign calendar", "/campaigns/calendar", "campaign:read"),
            NavLink("Mass email", "/mass-emails", "mass_email:read"),
            NavLink("Email sent", "/email/sent", "email:read", also=("/email",)),
        ),
    ),
    NavGroup("insights", "Insights", (NavLink("SLA report", "/reports/sla", "lead:read"),)),
    NavGroup(
        "admin",
        "Admin",
        (NavLink("Settings", "/admin", admin_only=True, also=("/imports",)),),
    ),
)


@dataclass(frozen=True)
class ShownLink:
    label: str
    path: str
    current: bool


@dataclass(frozen=True)
class ShownGroup:
    key: str
    label: str
    links: tuple[ShownLink, ...]

    @property
    def current(self) -> bool:
        return any(link.current for link in self.links)


def navigation(actor: Actor | None, path: str) -> list[ShownGroup]:
    """The groups and links ``actor`` sees, the current place marked."""
    if actor is None:
        return []
    visible = [(g, [link for link in g.links if link.visible_to(actor)]) for g in NAV]
    scores = [link.match_length(path) for _, links in visible for link in links]
    best = max(scores, default=0)
    shown: list[ShownGroup] = []
    for group, links in visible:
        if not links:
            continue
        items = tuple(
            ShownLink(link.label, link.path, best > 0 and link.match_length(path) == best)
            for link in links
        )
        shown.append(ShownGroup(group.key, group.label, items))
    return shown


# The command palette's actions (Ctrl+K): the pages above plus the create forms.
CREATE_ACTIONS: tuple[NavLink, ...] = (
    NavLink("New lead", "/leads/new", "lead:create"),
    NavLink("New contact", "/contacts/new", "contact:create"),
    NavLink("New account", "/accounts/new", "account:create"),
    NavLink("New deal", "/deals/new", "deal:create"),
    NavLink("New task", "/tasks/new", "task:create"),
    NavLink("New meeting", "/meetings/new", "meeting:create"),
    NavLink("Log a call", "/calls/new", "call:create"),
    NavLink("New quote", "/quotes/new", "quote:create"),
)


def create_actions(actor: Actor | None) -> list[tuple[str, str]]:
    """(label, path) of the create forms ``actor`` may open (+ New, the palette)."""
    if actor is None:
        return []
    return [(a.label, a.path) for a in CREATE_ACTIONS if a.visible_to(actor)]


def palette_actions(actor: Actor | None) -> list[tuple[str, str]]:
    """(label, path) of every action the palette offers ``actor``: create, then go to."""
    if actor is None:
        return []
    actions = create_actions(actor)
    for group in NAV:
        for link in group.links:
            if link.visible_to(actor):
                actions.append((f"Go to {link.label}", link.path))
    actions.append(("Go to Notifications", "/notifications"))
    actions.append(("Go to Profile", "/profile"))
    return actions
