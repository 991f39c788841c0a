"""What a step does for a chunk of members, by channel: email (the mass-email path, a few
statements for the chunk), SMS (``nexa.sms``), and voice / LinkedIn / task steps, which
become a task for the record's owner with the script or message (no automation against
LinkedIn). Each returns, per member: (outcome, message or task id, variant, reason)."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from nexa.campaign.repository import CampaignRepository
from nexa.core.actor import SYSTEM, Actor
from nexa.core.errors import DomainError, ValidationFailed
from nexa.models import Campaign, CampaignMember, CampaignStep

Result = tuple[str, uuid.UUID | None, int | None, str | None]
CHANNEL_WORDS = {"voice": "Call", "linkedin": "LinkedIn", "task": "Follow up with"}
ACTION_WORDS = {
    "connection_request": "send a connection request to",
    "ai_call": "call",
    "message": "send a message to",
}


def _refusal_state(reason: str) -> str | None:
    code = reason.rsplit("(", 1)[-1].rstrip(")") if reason.endswith(")") else ""
    if code in ("hard_bounce", "complaint"):
        return "bounced"
    if code in ("unsubscribe", "unsubscribed"):
        return "unsubscribed"
    return None


def choose_variants(
    session: Session, campaign: Campaign, step: CampaignStep, members: list[CampaignMember]
) -> dict[uuid.UUID, int | None]:
    """Which variant each member gets: Thompson sampling on clicks and replies when the
    campaign optimises content, else an even split."""
    count = len(step.variants or [])
    if count == 0:
        return {m.id: None for m in members}
    if "message_content" in (campaign.optimize or []):
        from nexa.intelligence.bandit import choose

        stats = CampaignRepository(session).variant_stats(step.id, count)
        rng = random.Random(f"{step.id}:{len(members)}:{sum(t for _, t in stats.values())}")
        return {m.id: choose(stats, rng) for m in members}
    return {m.id: m.id.int % count for m in members}


def send_email(
    session: Session,
    actor: Actor,
    campaign: Campaign,
    step: CampaignStep,
    members: list[CampaignMember],
) -> dict[uuid.UUID, Result]:
    from nexa.email.bulk import send_bulk
    from nexa.email.schemas import BulkEmailSend

    repo = CampaignRepository(session)
    variants = choose_variants(session, campaign, step, members)
    groups: dict[tuple[str, int | None], list[CampaignMember]] = defaultdict(list)
    for m in members:
        groups[(m.record_type, variants[m.id])].append(m)
    out: dict[uuid.UUID, Result] = {}
    for (record_type, variant), group in groups.items():
        texts: dict[str, Any] = {"template_id": step.template_id}
        if step.subject:
            texts["subject"] = step.subject
        if step.body:
            texts["text"] = step.body
        if variant is not None:
            v = step.variants[variant]
            if v.get("template_id"):
                texts = {"template_id": uuid.UUID(str(v["template_id"]))}
            if v.get("subject"):
                texts["subject"] = v["subject"]
            if v.get("body"):
                texts["text"] = v["body"]
        if texts.get("template_id") is None:
            texts.pop("template_id", None)
        data = BulkEmailSend(
            record_type=record_type,
            record_ids=[m.record_id for m in group],
            kind="marketing",
            **texts,
        )
        result = send_bulk(session, actor, data)
        by_record = repo.message_records(result.queued)
        reasons = {s.record_id: s.reason for s in result.skipped}
        for m in group:
            message_id = by_record.get(m.record_id)
            if message_id is not None:
                out[m.id] = ("sent", message_id, variant, None)
                continue
            reason = reasons.get(m.record_id, "not sent")
            state = _refusal_state(reason)
            out[m.id] = (state or "skipped", None, variant, reason)
    return out


def send_sms(
    session: Session,
    actor: Actor,
    campaign: Campaign,
    step: CampaignStep,
    members: list[CampaignMember],
) -> dict[uuid.UUID, Result]:
    """Text messages through ``nexa.sms`` (its provider, consent and STOP handling), one
    dedupe key per member and step: a step run again finds the message it wrote."""
    from nexa.sms import service as sms
    from nexa.sms.repository import SmsRepository

    body = _body(session, step)
    out: dict[uuid.UUID, Result] = {}
    by_type: dict[str, list[CampaignMember]] = defaultdict(list)
    for m in members:
        by_type[m.record_type].append(m)
    for record_type, group in by_type.items():
        items: list[tuple[uuid.UUID, str, str | None]] = []
        keys: dict[uuid.UUID, str] = {}
        for m in group:
            try:
                text = _render_for(session, actor, m, body)
            except DomainError as exc:
                out[m.id] = ("skipped", None, None, f"not rendered: {exc}")
                continue
            keys[m.id] = f"campaign:{step.id}:{m.id}"
            items.append((m.record_id, text, keys[m.id]))
        if not items:
            continue
        try:
            result = sms.send_many(session, actor, record_type, items)
        except DomainError as exc:  # no SMS provider set up, or the sender may not text
            for m in group:
                out.setdefault(m.id, ("skipped", None, None, f"SMS not sent: {exc.detail}"))
            continue
        skipped = dict(result.skipped)
        written = SmsRepository(session).by_dedupe_keys(list(keys.values()))
        for m in group:
            if m.id in out:
                continue
            message = written.get(keys[m.id])
            if message is not None and message.state != "refused":
                out[m.id] = ("sent", message.id, None, None)
                continue
            why = skipped.get(m.record_id) or (message.error if message else None) or "not sent"
            opted_out = why.endswith("(opted_out)")
            out[m.id] = ("unsubscribed" if opted_out else "skipped", None, None, why)
    return out


def _body(session: Session, step: CampaignStep) -> str:
    if step.body:
        return step.body
    if step.template_id is not None:
        texts = CampaignRepository(session).template_texts(step.template_id)
        if texts is not None:
            return texts[1]
    return ""


def _render_for(session: Session, actor: Actor, m: CampaignMember, body: str) -> str:
    from nexa.email import rendering
    from nexa.email.service import record_context

    _, context = record_context(session, actor, m.record_type, m.record_id)
    _, text, _ = rendering.render(context, subject="-", text=body, html=None)
    return text or ""


def make_tasks(
    session: Session,
    actor: Actor,
    campaign: Campaign,
    step: CampaignStep,
    members: list[CampaignMember],
    now: datetime,
) -> dict[uuid.UUID, Result]:
    """Voice and LinkedIn steps: a task for the record's owner (the campaign's owner when
    the record has none) with the script or message, due now."""
    from nexa.task.schemas import TaskCreate
    from nexa.task.service import TaskService

    body = _body(session, step)
    owners = CampaignRepository(session).record_owners(
        [(m.record_type, m.record_id) for m in members]
    )
    service = TaskService(session, SYSTEM)
    out: dict[uuid.UUID, Result] = {}
    verb = ACTION_WORDS.get(step.action or "", "")
    for m in members:
        try:
            text = _render_for(session, actor, m, body) if body else ""
        except DomainError as exc:
            out[m.id] = ("skipped", None, None, f"not rendered: {exc}")
            continue
        name = owners.get((m.record_type, m.record_id), (None, ""))[1] or m.record_type
        lead = CHANNEL_WORDS.get(step.channel, "Follow up with")
        title = f"{lead}: {verb} {name}" if verb else f"{lead} {name}"
        title = f"{title} ({campaign.name})"[:300]
        try:
            task = service.create(
                TaskCreate(
                    title=title,
                    description=text or step.name or None,
                    due_at=now,
                    related_type=m.record_type,
                    related_id=m.record_id,
                    owner_id=owners.get((m.record_type, m.record_id), (None, ""))[0]
                    or campaign.owner_id,
                )
            )
        except ValidationFailed as exc:
            out[m.id] = ("skipped", None, None, str(exc))
            continue
        out[m.id] = ("task", task.id, None, None)
    return out
