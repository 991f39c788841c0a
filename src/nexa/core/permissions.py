"""The permission catalogue and the default grants of each role.

These defaults implement the role table in PRODUCT.md; admins can edit a role's grants
(stored on the role row). The permission tests compare behaviour with a separate transcript
of that table kept as data under tests/, never with this module.
"""

from __future__ import annotations

from nexa.core.actor import Scope

ROLES = ("admin", "manager", "sales_rep", "support_agent", "marketer", "read_only")
ROLE_LABELS = {
    "admin": "Admin",
    "manager": "Sales manager",
    "sales_rep": "Sales rep",
    "support_agent": "Support agent",
    "marketer": "Marketer",
    "read_only": "Read-only",
}

RECORD_ACTIONS = (
    "read",
    "create",
    "write",
    "delete",
    "reassign",
    "export",
    "import",
    "bulk_delete",
)
CRM_OBJECTS = ("lead", "contact", "account", "deal", "quote", "order", "product")
ACTIVITY_OBJECTS = ("task", "meeting", "call", "note")
MARKETING_OBJECTS = ("list", "campaign", "mass_email")
SERVICE_OBJECTS = ("ticket", "inbox", "kb")
# email (issue 17): sent mail ("email", owned by its sender) and templates
EMAIL_OBJECTS = ("email", "email_template")
# sms (issue 19): text messages ("sms", owned by their sender, inbound ones by the record's owner)
SMS_OBJECTS = ("sms",)
ADMIN_OBJECTS = (
    "user",
    "team",
    "role",
    "settings",
    "api_key",
    "webhook",
    "custom_field",
    "audit",
    "job",
)
OBJECTS = (
    CRM_OBJECTS
    + ACTIVITY_OBJECTS
    + MARKETING_OBJECTS
    + SERVICE_OBJECTS
    + EMAIL_OBJECTS
    + SMS_OBJECTS
    + ADMIN_OBJECTS
)

ALL_PERMISSIONS = tuple(f"{o}:{a}" for o in OBJECTS for a in RECORD_ACTIONS)
# permissions beyond the record actions (PRODUCT.md's role table): adding records to lists,
# enrolling them in campaigns (reps: their own, in running campaigns), pausing campaigns
EXTRA_PERMISSIONS = ("list:add_member", "campaign:enroll", "campaign:pause")

A, T, O = Scope.ALL, Scope.TEAM, Scope.OWN  # noqa: E741


def _grant(objects: tuple[str, ...], actions: tuple[str, ...], scope: Scope) -> dict[str, Scope]:
    return {f"{o}:{a}": scope for o in objects for a in actions}


CRUD = ("read", "create", "write", "delete")
PEOPLE = ("lead", "contact", "account")
SALES = ("deal", "quote", "order")


def _email(sent_scope: Scope, *, templates: Scope | None = None) -> dict[str, Scope]:
    """PRODUCT.md, "email: own mailbox and sent mail, templates": everyone sends and reads
    their own sent mail (a manager their team's), reads the templates and writes their own
    (a marketer every template)."""
    g = {"email:read": sent_scope, "email:create": sent_scope}
    g |= {"email_template:read": Scope.ALL}
    g |= _grant(("email_template",), ("create", "write", "delete"), templates or Scope.OWN)
    # SMS is read and sent like mail (PRODUCT.md's email row, read for the SMS channel)
    g |= {"sms:read": sent_scope, "sms:create": sent_scope}
    return g


def _manager() -> dict[str, Scope]:
    g: dict[str, Scope] = {}
    g |= _grant(PEOPLE + SALES, (*CRUD, "reassign", "export", "import"), T)
    g |= _grant(("product",), (*CRUD, "export", "import"), A)
    g |= _grant(ACTIVITY_OBJECTS, CRUD, T)
    g |= _grant(MARKETING_OBJECTS + SERVICE_OBJECTS, ("read",), A)
    g |= _grant(("user", "team"), ("read",), T)
    g |= {"campaign:enroll": T, "campaign:pause": A}
    g |= _email(T)
    return g


def _sales_rep() -> dict[str, Scope]:
    g: dict[str, Scope] = {}
    g |= _grant(PEOPLE + SALES, CRUD, O)
    g |= _grant(("product",), ("read",), A)
    g |= _grant(ACTIVITY_OBJECTS, CRUD, O)
    g |= _grant(MARKETING_OBJECTS, ("read",), A)
    g |= {"list:add_member": O, "campaign:enroll": O}
    g |= _grant(("ticket",), ("read",), O)
    g |= _email(O)
    return g


def _support_agent() -> dict[str, Scope]:
    g: dict[str, Scope] = {}
    g |= _grant(PEOPLE + SALES + ("product",), ("read",), A)
    g |= {"contact:write": A}
    g |= _grant(ACTIVITY_OBJECTS, CRUD, O)
    g |= _grant(MARKETING_OBJECTS, ("read",), A)
    g |= _grant(SERVICE_OBJECTS, CRUD, A)
    g |= _email(O)
    return g


def _marketer() -> dict[str, Scope]:
    g: dict[str, Scope] = {}
    g |= _grant(PEOPLE + SALES + ("product",), ("read",), A)
    g |= _grant(("lead",), ("create", "write", "delete", "export", "import"), A)
    g |= _grant(("contact",), ("export", "import"), A)
    g |= _grant(ACTIVITY_OBJECTS, CRUD, O)
    g |= _grant(MARKETING_OBJECTS, CRUD, A)
    g |= {"list:add_member": A, "kb:read": A, "campaign:enroll": A, "campaign:pause": A}
    g |= _email(O, templates=A)
    return g


def _read_only() -> dict[str, Scope]:
    g: dict[str, Scope] = {}
    g |= _grant(PEOPLE + SALES + ACTIVITY_OBJECTS, ("read",), O)
    g |= _grant(("product",), ("read",), A)
    g |= _grant(MARKETING_OBJECTS + SERVICE_OBJECTS, ("read",), A)
    g |= {"email:read": O, "email_template:read": A, "sms:read": O}
    return g


def _admin() -> dict[str, Scope]:
    return {p: A for p in ALL_PERMISSIONS} | {p: A for p in EXTRA_PERMISSIONS}


DEFAULT_ROLE_GRANTS: dict[str, dict[str, Scope]] = {
    "admin": _admin(),
    "manager": _manager(),
    "sales_rep": _sales_rep(),
    "support_agent": _support_agent(),
    "marketer": _marketer(),
    "read_only": _read_only(),
}

# Org-wide defaults per object (Salesforce's OWD): who may see records they do not own.
VISIBILITY_CHOICES = ("private", "public_read", "public_read_write")
DEFAULT_VISIBILITY = {o: "private" for o in CRM_OBJECTS + ACTIVITY_OBJECTS}
DEFAULT_VISIBILITY["product"] = "public_read"

# API key scopes are permissions ("contact:read"), plus scopes for what every user may do
# about themselves, which no role grants (a key needs them all the same): their own profile,
# their notification centre, global search (each hit still one they can read).
SELF_SCOPES = ("me:read", "me:write", "notification:read", "notification:write", "search:read")
API_KEY_SCOPES = (*ALL_PERMISSIONS, *EXTRA_PERMISSIONS, *SELF_SCOPES)
