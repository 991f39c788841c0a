"""Finding leads and contacts that are probably the same person.

Exact: the same email (its key, nexa.core.text). Fuzzy: the same company (after dropping legal
suffixes such as Inc, Ltd, GmbH, Corp) and a similar name (difflib ratio >= 0.85, or the
same first initial and last name). A contact's company is its account's name.

Each check is one query over what the actor may read; the fuzzy one is narrowed in SQL by
the company key and finished in Python, so the cost never grows with a row-by-row scan.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.names import person_name
from nexa.core.text import text_key
from nexa.lead.repository import LeadRepository, contacts_with_account_name
from nexa.models import Contact, Lead

NAME_RATIO = 0.85
COMPANY_SUFFIXES = frozenset(
    {
        "inc", "incorporated", "ltd", "limited", "llc", "llp", "lp", "gmbh", "mbh", "ag", "kg",
        "corp", "corporation", "co", "company", "plc", "sa", "sas", "sarl", "srl", "spa", "bv",
        "nv", "oy", "ab", "as", "aps", "pty", "pte", "kk", "ug", "se",
    }
)  # fmt: skip
_PUNCT = re.compile(r"[^\w\s&-]+", re.UNICODE)


@dataclass(frozen=True)
class Candidate:
    record_type: str  # "lead" | "contact"
    id: uuid.UUID
    name: str
    email: str | None
    company: str | None
    reason: str


def company_key(company: str | None) -> str:
    """``"The Acme Corp., Inc."`` -> ``"acme"``: the text key (nexa.core.text: case, width,
    invisible characters), no punctuation, no legal suffix."""
    if not company:
        return ""
    words = _PUNCT.sub(" ", text_key(company) or "").replace(",", " ").split()
    if words and words[0] == "the" and len(words) > 1:
        words = words[1:]
    while len(words) > 1 and words[-1] in COMPANY_SUFFIXES:
        words.pop()
    return " ".join(words)


def names_match(
    first_a: str | None, last_a: str | None, first_b: str | None, last_b: str | None
) -> bool:
    a = text_key(person_name(first_a, last_a)) or ""
    b = text_key(person_name(first_b, last_b)) or ""
    if not a or not b:
        return False
    matcher = SequenceMatcher(None, a, b)
    # quick_ratio() is an upper bound of ratio(): the full comparison only when it can pass
    if matcher.quick_ratio() >= NAME_RATIO and matcher.ratio() >= NAME_RATIO:
        return True
    la, lb = text_key(last_a) or "", text_key(last_b) or ""
    fa, fb = text_key(first_a) or "", text_key(first_b) or ""
    return bool(la and la == lb and fa and fb and fa[0] == fb[0])


def _like_prefix(key: str) -> str:
    escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


def find_duplicates(
    session: Session,
    actor: Actor,
    *,
    email: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    company: str | None = None,
    exclude_id: uuid.UUID | None = None,
    include_contacts: bool = True,
    lead_email_twins: bool = True,
) -> list[Candidate]:
    """Live leads and contacts ``actor`` can read that look like this person (email twins
    first). At most four queries, whatever the size of the tables. ``lead_email_twins=False``:
    the caller already knows no live lead has ``email`` (its uniqueness check passed)."""
    found: dict[tuple[str, uuid.UUID], Candidate] = {}
    leads = LeadRepository(session)
    email = (email or "").strip() or None
    key = company_key(company)

    if email:
        twins = leads.readable_with_email(actor, email, exclude_id, 50) if lead_email_twins else []
        for lead in twins:
            found[("lead", lead.id)] = _lead_candidate(lead, "same email")
        if include_contacts:
            for contact, account_name in contacts_with_account_name(
                session, actor, email=email, limit=50
            ):
                found[("contact", contact.id)] = _contact_candidate(
                    contact, account_name, "same email"
                )

    if key and last_name:
        pattern = _like_prefix(key.split()[0])
        for lead in leads.readable_at_company(actor, pattern, exclude_id, 500):
            if ("lead", lead.id) in found or company_key(lead.company) != key:
                continue
            if names_match(first_name, last_name, lead.first_name, lead.last_name):
                found[("lead", lead.id)] = _lead_candidate(lead, "similar name at the same company")
        if include_contacts:
            for contact, account_name in contacts_with_account_name(
                session, actor, account_like=pattern, limit=500
            ):
                if ("contact", contact.id) in found or company_key(account_name) != key:
                    continue
                if names_match(first_name, last_name, contact.first_name, contact.last_name):
                    found[("contact", contact.id)] = _contact_candidate(
                        contact, account_name, "similar name at the same company"
                    )
    return sorted(found.values(), key=lambda c: (c.reason != "same email", c.record_type, c.name))


def _lead_candidate(lead: Lead, reason: str) -> Candidate:
    return Candidate(
        "lead",
        lead.id,
        person_name(lead.first_name, lead.last_name),
        lead.email,
        lead.company,
        reason,
    )


def _contact_candidate(contact: Contact, account_name: str | None, reason: str) -> Candidate:
    return Candidate(
        "contact",
        contact.id,
        person_name(contact.first_name, contact.last_name),
        contact.email,
        account_name,
        reason,
    )


def as_dict(candidate: Candidate) -> dict[str, Any]:
    return {
        "record_type": candidate.record_type,
        "id": str(candidate.id),
        "name": candidate.name,
        "email": candidate.email,
        "company": candidate.company,
        "reason": candidate.reason,
    }
