"""The events deals publish: their life cycle (record payload) and stage moves."""

from __future__ import annotations

from dataclasses import dataclass, field

from nexa.core.events import UNSET, EventPayload, Unset, declare, json_key
from nexa.record.events import declare_lifecycle


@dataclass(frozen=True, kw_only=True)
class DealStageChanged(EventPayload):
    name: str
    from_: str | None = field(metadata=json_key("from"))
    to: str
    amount: str | None
    currency: str
    probability: int | None
    previous_probability: int | None
    days_in_previous_stage: int | None
    also_on: list[list[str]] | Unset = UNSET  # the account, when the deal has one


@dataclass(frozen=True, kw_only=True)
class DealClosed(EventPayload):
    """``deal.won`` and ``deal.lost`` (``lost_reason`` only on a loss)."""

    name: str
    from_: str | None = field(metadata=json_key("from"))
    to: str
    amount: str | None
    currency: str
    also_on: list[list[str]] | Unset = UNSET
    lost_reason: str | Unset | None = UNSET


@dataclass(frozen=True, kw_only=True)
class DealFlowQueued(EventPayload):
    """``deal.closed_won_queued``: the deal whose closed-won flow waits for after commit."""

    name: str


DEAL_EVENTS = [
    *declare_lifecycle("deal", "deal"),
    declare(
        "deal.stage_changed",
        payload=DealStageChanged,
        permission="deal:read",
        description="A deal moved to another stage",
    ),
    declare(
        "deal.won", payload=DealClosed, permission="deal:read", description="A deal was closed won"
    ),
    declare(
        "deal.lost",
        payload=DealClosed,
        permission="deal:read",
        description="A deal was closed lost",
    ),
    declare(
        "deal.closed_won_queued",
        payload=DealFlowQueued,
        permission="deal:read",
        description="A deal won on import waits for its closed-won flow (onboarding tasks, "
        "its order, the handoff list), run after the import commits",
    ),
]
