"""The drafting assistant (service 16): an email for one intent and tone, from a record.

The facts come from the record and what is linked to it, read with the actor's visibility: the
recipient's name and company, the open deal (its stage, amount and close date), the latest
call or meeting and its outcome, the oldest open task, the next best action, and for a reply
the message answered. The organization's templates for the intent are ranked by their reply
rate ((replies + 1) / (sent + 2), so a new template is neither first nor last); the best one,
rendered in the sandbox with the record's merge fields, is the body. Otherwise the
phrasebook of ``nexa.intelligence.drafting`` writes it.

With ``NEXA_ASSISTANT_URL`` set, the offline draft and the facts go to that OpenAI-compatible
endpoint to be rewritten; its answer is shown only if it passes the same check as every
draft (no name, amount or date the record does not hold), and the offline draft is shown,
with the reason, when it does not, fails or is slow. Unset (the default), nothing leaves the
server."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Any

import httpx
from sqlalchemy.orm import Session

from nexa.config import get_settings
from nexa.core.actor import Actor
from nexa.core.db import utcnow
from nexa.core.errors import NotFound, ValidationFailed
from nexa.core.money import money
from nexa.email import rendering
from nexa.email.repository import AssistantRepository, EmailRepository
from nexa.email.schemas import DraftFact, DraftIn, DraftOut
from nexa.email.service import _check_key_scope, _require, record_context
from nexa.enrichment.actions import next_actions
from nexa.intelligence.drafting import VERSION, Draft, DraftFacts, compose, unsupported

_FIRST_SENTENCE = re.compile(r"^(.{1,240}?[.!?])(\s|$)", re.S)


def _day(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    return f"{value.day} {value:%B %Y}"


def _sentence(text: str | None) -> str | None:
    """The first sentence of a free text (at most 240 characters), or None."""
    if not text:
        return None
    flat = " ".join(text.split())
    found = _FIRST_SENTENCE.match(flat)
    sentence = found.group(1) if found else flat[:240]
    return sentence if len(sentence) >= 3 else None


def _clause(title: str | None) -> str | None:
    """An action's title as a clause: "Call Ann back" -> "call Ann back"."""
    if not title:
        return None
    title = title.strip().rstrip(".")
    if len(title) > 1 and title[0].isupper() and not title[1].isupper():
        title = title[0].lower() + title[1:]
    return title


def gather(
    session: Session, actor: Actor, data: DraftIn, now: datetime
) -> tuple[DraftFacts, dict[str, Any]]:
    """The record's facts for a draft, and its merge fields (for a template)."""
    record, context = record_context(session, actor, data.record_type, data.record_id)
    repo = AssistantRepository(session)
    person = context["lead"] or context["contact"]
    company = context["lead"].get("company") or context["account"].get("name")
    deal = record if data.record_type == "deal" else None
    account_id = getattr(record, "account_id", None)
    if data.record_type == "account":
        account_id = record.id
    if deal is None and account_id is not None:
        deal = repo.open_deal_of_account(actor, account_id)
    call = repo.latest_call(actor, data.record_type, record.id, now)
    meeting = repo.latest_meeting(actor, data.record_type, record.id, now)
    last_activity = summary = None
    if call is not None and (meeting is None or call.started_at >= meeting.starts_at):
        last_activity = f"our call on {_day(call.started_at)}"
        summary = _sentence(call.notes)
    elif meeting is not None:
        last_activity = f"our meeting on {_day(meeting.starts_at)}"
        summary = _sentence(meeting.outcome)
    task = repo.oldest_open_task(actor, data.record_type, record.id)
    actions = next_actions(session, actor, data.record_type, record.id, now=now)
    incoming_subject = incoming_excerpt = None
    if data.intent == "reply":
        if data.reply_to_id is None:
            raise ValidationFailed("a reply names the message it answers", field="reply_to_id")
        try:
            answered = EmailRepository(session).get(actor, data.reply_to_id)
        except NotFound:
            raise ValidationFailed("no such message", field="reply_to_id") from None
        incoming_subject = re.sub(r"(?i)^(re|aw|sv):\s*", "", answered.subject).strip() or None
        incoming_excerpt = _sentence(answered.text_body)
    owner = context["owner"]
    facts = DraftFacts(
        organization=context["organization"]["name"],
        first_name=person.get("first_name"),
        company=company,
        sender=actor.display_name or owner.get("full_name"),
        deal_name=deal.name if deal is not None else None,
        deal_stage=repo.stage_name(deal.stage_id) if deal is not None else None,
        deal_amount=(
            money(deal.amount, deal.currency) if deal is not None and deal.amount else None
        ),
        close_date=_day(deal.close_date) if deal is not None else None,
        last_activity=last_activity,
        summary=summary,
        open_task=task.title if task is not None else None,
        task_due=_day(task.due_at) if task is not None else None,
        next_action=_clause(actions[0].title) if actions else None,
        incoming_subject=incoming_subject,
        incoming_excerpt=incoming_excerpt,
    )
    if deal is not None and data.record_type != "deal":
        context = {**context, "deal": rendering.fields_of("deal", deal)}
    return facts, context


def best_template(
    session: Session, actor: Actor, intent: str, context: dict[str, Any]
) -> tuple[tuple[str, str, str], float, str] | None:
    """The organization's template for ``intent`` with the best reply rate, rendered with the
    record's merge fields: ((id, subject, text), rate, source text); None when there is none
    (or none renders)."""
    repo = AssistantRepository(session)
    templates = repo.templates_of_intent(actor, intent)
    counts = repo.template_counts([t.id for t in templates])

    def rate(template: Any) -> float:
        sent, replied = counts.get(template.id, (0, 0))
        return (replied + 1) / (sent + 2)

    for template in sorted(templates, key=lambda t: (-rate(t), t.name)):
        try:
            subject, text, _ = rendering.render(
                context,
                subject=template.subject,
                text=template.text_body or None,
                html=template.html_body or None,
            )
        except ValidationFailed:
            continue  # a template that fails for this record is passed over
        source = f"{template.subject}\n{template.text_body}\n{template.html_body}"
        return (str(template.id), subject, text), rate(template), source
    return None


def draft(
    session: Session, actor: Actor, data: DraftIn, *, now: datetime | None = None
) -> DraftOut:
    _require(actor, "email:create", "draft email")
    _check_key_scope(actor, data.record_type)
    when = now or utcnow()
    facts, context = gather(session, actor, data, when)
    chosen = best_template(session, actor, data.intent, context)
    template, reply_rate, source = chosen if chosen else (None, None, "")
    offline = compose(facts, data.intent, data.tone, template=template)
    notes: list[str] = []
    result, generator, version = offline, "offline", VERSION
    settings = get_settings()
    if settings.assistant_url:
        rewritten, why = _rewrite(offline, facts, source)
        if rewritten is not None:
            result, generator, version = rewritten, "endpoint", settings.assistant_model
        else:
            notes.append(f"the offline draft is shown: {why}")
    known = facts.values()
    return DraftOut(
        subject=result.subject,
        text=result.text,
        intent=data.intent,
        tone=data.tone,
        generator=generator,
        model_version=version,
        template_id=uuid.UUID(offline.template_id) if offline.template_id else None,
        template_reply_rate=round(reply_rate, 3) if reply_rate is not None else None,
        facts=[DraftFact(name=n, value=known[n]) for n in offline.facts_used if n in known],
        notes=notes,
    )


# ---- the optional endpoint ----------------------------------------------------------------

SYSTEM_PROMPT = (
    "You rewrite a sales email. Keep its meaning and its facts; write in a {tone} tone; "
    "do not add any name, company, amount, date or promise that is not in the facts or the "
    "draft. Answer with the body of the email only."
)


def _rewrite(offline: Draft, facts: DraftFacts, source: str) -> tuple[Draft | None, str]:
    """The endpoint's version of ``offline``, or None and why it is not used."""
    settings = get_settings()
    facts_text = "\n".join(f"- {k}: {v}" for k, v in facts.values().items())
    body = {
        "model": settings.assistant_model,
        "temperature": 0.2,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT.format(tone=offline.tone)},
            {"role": "user", "content": f"Facts:\n{facts_text}\n\nDraft:\n{offline.text}"},
        ],
    }
    headers = {"Authorization": f"Bearer {settings.assistant_api_key}"}
    url = f"{str(settings.assistant_url).rstrip('/')}/chat/completions"
    try:
        response = httpx.post(
            url,
            json=body,
            headers=headers if settings.assistant_api_key else {},
            timeout=settings.assistant_timeout_seconds,
        )
        response.raise_for_status()
        text = str(response.json()["choices"][0]["message"]["content"]).strip()
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
        return None, f"the assistant endpoint failed ({type(exc).__name__})"
    if not text:
        return None, "the assistant endpoint answered nothing"
    invented = unsupported(text, facts, also=f"{offline.text}\n{source}")
    if invented:
        shown = ", ".join(invented[:5])
        return None, f"the endpoint's draft named what the record does not hold ({shown})"
    return Draft(
        subject=offline.subject,
        text=text[:20_000],
        intent=offline.intent,
        tone=offline.tone,
        facts_used=offline.facts_used,
        template_id=offline.template_id,
    ), ""
