"""Channel preference (issue 19): per member, the response rate on each channel and the
channel they answer best on.

Channels are a registry (``CHANNELS``): each is a function that counts, for a list of members,
``(responses, sent)`` — and the organization's totals for ``None`` — so SMS (built beside this)
adds itself with ``@register_channel("sms")`` without touching this module. Email is here:
sent = outgoing messages that left (state ``sent``); a response = the message was replied to
or clicked by a person (``replied_at``, ``clicks``: machine clicks are counted apart).

Rates are Beta posteriors: the prior is the organization's own rate on that channel with the
weight of ``PRIOR_STRENGTH`` messages, so three sends and one reply do not outrank a hundred
sends and thirty replies, and a member with no history gets the organization's rate. A
channel the organization has never used has no rate and is never preferred. The preferred
channel is the one with the highest posterior mean; ties go to the registry's order.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from nexa.core.repository import unscoped
from nexa.models import EmailMessage

MemberKey = tuple[str, uuid.UUID]
# (session, members or None for the organization's totals) -> {member or ("*", nil): counts}
Counts = dict[MemberKey, tuple[int, int]]  # (responses, sent)
CountFunction = Callable[[Session, Sequence[MemberKey] | None], Counts]
ORGANIZATION: MemberKey = ("*", uuid.UUID(int=0))
PRIOR_STRENGTH = 10  # the organization's rate weighs as much as this many messages
CHUNK = 500

CHANNELS: dict[str, CountFunction] = {}


def register_channel(name: str) -> Callable[[CountFunction], CountFunction]:
    def add(function: CountFunction) -> CountFunction:
        CHANNELS[name] = function
        return function

    return add


@dataclass(frozen=True)
class ChannelRate:
    channel: str
    sent: int
    responses: int
    rate: float | None  # the posterior mean; None when the organization has no history here
    organization_rate: float | None


@dataclass(frozen=True)
class ChannelPreference:
    preferred: str | None
    rates: dict[str, ChannelRate]


@register_channel("email")
def email_counts(session: Session, members: Sequence[MemberKey] | None) -> Counts:
    responded = case((EmailMessage.replied_at.is_not(None) | (EmailMessage.clicks > 0), 1), else_=0)
    base = select(func.coalesce(func.sum(responded), 0), func.count()).where(
        EmailMessage.direction == "out", EmailMessage.state == "sent"
    )
    if members is None:
        responses, sent = session.execute(unscoped(base)).one()
        return {ORGANIZATION: (int(responses), int(sent))}
    out: Counts = {}
    by_type: dict[str, list[uuid.UUID]] = {}
    for kind, member_id in members:
        by_type.setdefault(kind, []).append(member_id)
    for kind, ids in by_type.items():
        for start in range(0, len(ids), CHUNK):
            query = (
                base.add_columns(EmailMessage.related_id)
                .where(
                    EmailMessage.related_type == kind,
                    EmailMessage.related_id.in_(ids[start : start + CHUNK]),
                )
                .group_by(EmailMessage.related_id)
            )
            for responses, sent, related_id in session.execute(unscoped(query)):
                out[(kind, related_id)] = (int(responses), int(sent))
    return out


@register_channel("sms")
def sms_counts(session: Session, members: Sequence[MemberKey] | None) -> Counts:
    """Texts sent and texts answered (an inbound message that is not STOP/START/HELP)."""
    from nexa.models import SmsMessage

    answered = case(((SmsMessage.direction == "in") & SmsMessage.keyword.is_(None), 1), else_=0)
    sent = case(((SmsMessage.direction == "out") & (SmsMessage.state == "sent"), 1), else_=0)
    base = select(func.coalesce(func.sum(answered), 0), func.coalesce(func.sum(sent), 0))
    if members is None:
        responses, count = session.execute(unscoped(base)).one()
        return {ORGANIZATION: (int(responses), int(count))}
    out: Counts = {}
    by_type: dict[str, list[uuid.UUID]] = {}
    for kind, member_id in members:
        by_type.setdefault(kind, []).append(member_id)
    for kind, ids in by_type.items():
        for start in range(0, len(ids), CHUNK):
            query = (
                base.add_columns(SmsMessage.related_id)
                .where(
                    SmsMessage.related_type == kind,
                    SmsMessage.related_id.in_(ids[start : start + CHUNK]),
                )
                .group_by(SmsMessage.related_id)
            )
            for responses, count, related_id in session.execute(unscoped(query)):
                out[(kind, related_id)] = (int(responses), int(count))
    return out


def posterior_rate(responses: int, sent: int, prior_rate: float) -> float:
    """The Beta posterior mean with a prior of ``prior_rate`` over ``PRIOR_STRENGTH`` sends."""
    alpha = prior_rate * PRIOR_STRENGTH + responses
    beta = (1 - prior_rate) * PRIOR_STRENGTH + (sent - responses)
    return alpha / (alpha + beta)


def channel_preferences(
    session: Session, members: Sequence[MemberKey]
) -> dict[MemberKey, ChannelPreference]:
    """Each member's rate per registered channel and their preferred channel."""
    organization: dict[str, float | None] = {}
    counts: dict[str, Counts] = {}
    for channel, count in CHANNELS.items():
        responses, sent = count(session, None).get(ORGANIZATION, (0, 0))
        organization[channel] = responses / sent if sent else None
        counts[channel] = count(session, members)
    out: dict[MemberKey, ChannelPreference] = {}
    for key in dict.fromkeys(members):
        rates: dict[str, ChannelRate] = {}
        for channel in CHANNELS:
            responses, sent = counts[channel].get(key, (0, 0))
            prior = organization[channel]
            rate = posterior_rate(responses, sent, prior) if prior is not None else None
            rates[channel] = ChannelRate(channel, sent, responses, rate, prior)
        known = [r for r in rates.values() if r.rate is not None]
        preferred = max(known, key=lambda r: r.rate or 0.0).channel if known else None
        out[key] = ChannelPreference(preferred, rates)
    return out
