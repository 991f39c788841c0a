"""Mass email (issue 19): the rules. A mass email is a draft until it is scheduled (now or at
a time to come); the worker then writes one message per member of its list (nexa.email.bulk:
suppression, consent and tracking applied at that moment), the A/B test share first when
there are 2–4 variants, the rest with the winner once the test has waited its hours
(``nexa.mass_email.sending``). A draft is edited; a scheduled one is cancelled, or sent.

The clock is ``current_time`` (``nexa.core.clock.now``, which tests move, unless a caller passes
``now``).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from nexa.core import clock
from nexa.core.actor import Actor
from nexa.core.errors import Conflict, NotFound, ValidationFailed
from nexa.core.events import enqueue_after_commit
from nexa.core.fields import normalise_email
from nexa.email import rendering
from nexa.email import service as email_service
from nexa.email.bulk import queue_copies
from nexa.email.repository import EmailRepository
from nexa.email.schemas import BulkEmailSend
from nexa.mass_email.events import MASS_EMAIL_EVENTS
from nexa.mass_email.repository import MassEmailRepository
from nexa.mass_email.schemas import (
    MAX_VARIANTS,
    Preview,
    RenderedVariant,
    Stats,
    TestSendIn,
    TestSent,
    VariantStats,
)
from nexa.mass_email.winner import letter
from nexa.models import MassEmail
from nexa.record.service import RecordService, check_reference
from nexa.segment import service as segment_service

OBJECT = "mass_email"
SEND_JOB = "mass_email.send"
AUDIENCES = ("lead", "contact")
EDITABLE = ("draft",)
CANCELLABLE = ("draft", "scheduled", "testing", "sending")
PAST_GRACE = timedelta(minutes=1)  # "now" typed a moment ago is still now


def current_time(now: datetime | None = None) -> datetime:
    """The clock every step reads (a test passes ``now``; the test clock moves it too)."""
    return now if now is not None else clock.now()


def variant_send(
    record: MassEmail, variant: int, record_ids: list[uuid.UUID], record_type: str
) -> BulkEmailSend:
    """What nexa.email.bulk sends for one variant of ``record`` to ``record_ids``."""
    v = record.variants[variant]
    return BulkEmailSend(
        record_type=record_type,  # type: ignore[arg-type]
        record_ids=record_ids,
        template_id=uuid.UUID(v["template_id"]) if v.get("template_id") else None,
        subject=v.get("subject") or None,
        text=v.get("text") or None,
        html=v.get("html") or None,
        kind="marketing",
        subscription=record.subscription,  # type: ignore[arg-type]
        sender_id=record.sender_id,
    )


def check_variants(session: Session, actor: Actor, variants: list[Any]) -> list[dict[str, Any]]:
    """1–4 variants, each rendering against an empty record (syntax errors and the
    sandbox's refusals, template injection among them, are a 422 naming ``variants``)."""
    if not 1 <= len(variants) <= MAX_VARIANTS:
        raise ValidationFailed(
            f"give 1 to {MAX_VARIANTS} variants ({len(variants)} given)", field="variants"
        )
    out: list[dict[str, Any]] = []
    empty = email_service.merge_context(None, None, None, None, None)
    for i, raw in enumerate(variants):
        v = raw if isinstance(raw, dict) else raw.model_dump()
        template_id = v.get("template_id")
        row = {
            "subject": v.get("subject") or None,
            "text": v.get("text") or None,
            "html": v.get("html") or None,
            "template_id": str(template_id) if template_id else None,
        }
        data = BulkEmailSend(
            record_type="contact",
            record_ids=[uuid.UUID(int=0)],
            template_id=uuid.UUID(str(template_id)) if template_id else None,
            subject=row["subject"],
            text=row["text"],
            html=row["html"],
        )
        try:
            subject, text, html, _ = email_service._template_texts(session, actor, data)
            rendering.render(empty, subject=subject, text=text, html=html)
        except (ValidationFailed, NotFound) as exc:
            detail = getattr(exc, "detail", str(exc))
            raise ValidationFailed(
                f"variant {letter(i)}: {detail}", field="variants", variant=i
            ) from None
        out.append(row)
    return out


def check_seed(session: Session, entries: list[str]) -> list[str]:
    """Addresses (normalised) or ids of active users; 422 naming ``seed`` otherwise."""
    repo = MassEmailRepository(session)
    out: list[str] = []
    for entry in entries:
        value = entry.strip()
        try:
            user_id = uuid.UUID(value)
        except ValueError:
            try:
                out.append(normalise_email(value))
            except ValueError as exc:
                raise ValidationFailed(f"seed: {value[:80]}: {exc}", field="seed") from None
            continue
        if repo.user_email(user_id) is None:
            raise ValidationFailed(f"seed: no active user {user_id}", field="seed")
        out.append(str(user_id))
    return list(dict.fromkeys(out))


def seed_addresses(session: Session, record: MassEmail) -> list[tuple[str, str]]:
    """The seed list as (name, address): user ids become their current address."""
    ids = []
    for entry in record.seed:
        try:
            ids.append(uuid.UUID(entry))
        except ValueError:
            continue
    users = MassEmailRepository(session).user_emails(ids) if ids else {}
    out: list[tuple[str, str]] = []
    for entry in record.seed:
        try:
            found = users.get(uuid.UUID(entry))
        except ValueError:
            out.append(("", entry))
            continue
        if found is not None:
            out.append(found)
    return out


class MassEmailService(RecordService[MassEmail]):
    events = MASS_EMAIL_EVENTS
    model = MassEmail
    repository = MassEmailRepository
    label = "mass email"
    not_empty = ("name", "list_id", "variants", "subscription", "metric")
    create_denied = "you may not create mass emails"

    def payload(self, record: MassEmail) -> dict[str, Any]:
        return {"name": record.name, "status": record.status}

    def prepare(self, values: dict[str, Any], record: MassEmail | None) -> dict[str, Any]:
        if record is not None and record.status not in EDITABLE:
            raise Conflict(
                f"a mass email is changed only as a draft (this one is {record.status})",
                field="status",
            )
        if "list_id" in values:
            lst = check_reference(
                self.session, self.actor, "list", values["list_id"], "list_id",
                message="no list with this id that you can see",
            )  # fmt: skip
            if lst.object_type not in AUDIENCES:
                raise ValidationFailed(
                    "mass email goes to a list of leads or contacts", field="list_id"
                )
        if "variants" in values:
            values["variants"] = check_variants(self.session, self.actor, values["variants"])
        if "seed" in values:
            values["seed"] = check_seed(self.session, values["seed"] or [])
        if values.get("sender_id") is not None:
            mine = {s.id for s in email_service.list_senders(self.session, self.actor)}
            if values["sender_id"] not in mine:
                raise ValidationFailed("not one of your sender identities", field="sender_id")
        if record is None:
            values["status"] = "draft"
            values["random_seed"] = secrets.randbelow(2**31)
        return values

    # ---- the send's life cycle ------------------------------------------------------------
    def schedule(
        self, record_id: uuid.UUID, send_at: datetime | None, *, now: datetime | None = None
    ) -> MassEmail:
        """Send at ``send_at`` (now when None; a time past is refused). The list, the
        variants and the SMTP settings are checked again now, not only at the send."""
        record = self.get_for(record_id, "write")
        if record.status not in ("draft", "scheduled"):
            raise Conflict(
                f"only a draft or a scheduled mass email is scheduled (this one is "
                f"{record.status})",
                field="status",
            )
        moment = current_time(now)
        if send_at is None:
            send_at = moment
        elif send_at.tzinfo is None:
            raise ValidationFailed("give the time with its time zone", field="send_at")
        elif send_at < moment - PAST_GRACE:
            raise ValidationFailed("this time has passed; choose a time to come", field="send_at")
        email_service.require_smtp(EmailRepository(self.session))
        check_variants(self.session, self.actor, record.variants)
        lst = check_reference(self.session, self.actor, "list", record.list_id, "list_id")
        if lst.object_type not in AUDIENCES:
            raise ValidationFailed(
                "mass email goes to a list of leads or contacts", field="list_id"
            )
        record.status = "scheduled"
        record.send_at = max(send_at, moment)
        self.flush(record)
        self.publish("scheduled", record)
        if record.send_at <= moment:
            enqueue_after_commit(self.session, SEND_JOB, str(record.id))
        return record

    def cancel(self, record_id: uuid.UUID) -> MassEmail:
        """Stop it: no more messages are written (those already written are delivered)."""
        record = self.get_for(record_id, "write")
        if record.status not in CANCELLABLE:
            raise Conflict(
                f"a mass email that is {record.status} cannot be cancelled", field="status"
            )
        record.status = "cancelled"
        self.flush(record)
        self.publish("cancelled", record)
        return record

    # ---- preview and test ---------------------------------------------------------------
    def _member_context(
        self, record: MassEmail, record_id: uuid.UUID | None
    ) -> tuple[uuid.UUID | None, dict[str, Any]]:
        """A member's merge fields: ``record_id`` (422 when not a member the actor reads), or
        the first member, or an empty record when the list has none."""
        lst, members = segment_service.member_ids(self.session, self.actor, record.list_id)
        if record_id is not None and record_id not in set(members):
            raise ValidationFailed("not a member of this list that you can see", field="record_id")
        chosen = record_id if record_id is not None else (min(members) if members else None)
        if chosen is None:
            return None, email_service.merge_context(None, None, None, None, None)
        _, context = email_service.record_context(self.session, self.actor, lst.object_type, chosen)
        return chosen, context

    def preview(self, record_id: uuid.UUID, member_id: uuid.UUID | None = None) -> Preview:
        record = self.get(record_id)
        chosen, context = self._member_context(record, member_id)
        out = []
        for i, _ in enumerate(record.variants):
            data = variant_send(record, i, [uuid.UUID(int=0)], "contact")
            subject, text, html, _t = email_service._template_texts(self.session, self.actor, data)
            try:
                s, t, h = rendering.render(context, subject=subject, text=text, html=html)
            except ValidationFailed as exc:
                s, t, h = (
                    subject,
                    f"(this variant does not render for this member: {exc.detail})",
                    None,
                )
            out.append(RenderedVariant(variant=i, subject=s, text=t, html=h))
        return Preview(record_id=chosen, variants=out)

    def test_send(self, record_id: uuid.UUID, data: TestSendIn) -> TestSent:
        """Each variant (or one) to the actor's own address, marked "[Test]", untracked."""
        record = self.get_for(record_id, "write")
        me = MassEmailRepository(self.session).user_email(self.actor.user_id)
        if me is None:
            raise ValidationFailed("you have no address to send a test to", field="to")
        if data.variant is not None and data.variant >= len(record.variants):
            raise ValidationFailed("no such variant", field="variant")
        _, context = self._member_context(record, data.record_id)
        chosen = range(len(record.variants)) if data.variant is None else [data.variant]
        queued: list[uuid.UUID] = []
        for i in chosen:
            queued += queue_copies(
                self.session,
                self.actor,
                variant_send(record, i, [uuid.UUID(int=0)], "contact"),
                [me],
                related=(OBJECT, record.id),
                context=context,
                subject_prefix=f"[Test {letter(i)}] " if len(record.variants) > 1 else "[Test] ",
            )
        return TestSent(to=me[1], queued=queued)

    # ---- numbers --------------------------------------------------------------------------
    def stats(self, record_id: uuid.UUID) -> Stats:
        record = self.get(record_id)
        return stats_of(self.session, record)


def stats_of(session: Session, record: MassEmail) -> Stats:
    """Every variant's numbers (zeros before the send) and everyone's together (the rest not
    sent yet count among the recipients of no variant)."""
    repo = MassEmailRepository(session)
    rows = repo.counts(record.id)
    keys = [k for k in VariantStats.model_fields if k != "variant"]
    total = VariantStats(variant=None, **{k: sum(r[k] for r in rows) for k in keys})
    found = {r["variant"]: r for r in rows if r["variant"] is not None}
    variants = [
        VariantStats(**found[i]) if i in found else VariantStats(variant=i)
        for i in range(len(record.variants))
    ]
    return Stats(
        total=total,
        variants=variants,
        skipped_reasons=repo.skipped_reasons(record.id),
        ab_result=record.ab_result,
    )
