"""Routing settings (stored in OrgSetting "routing"), the SLA report and a routing result."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from nexa.core.schemas import InputModel, OutputModel
from nexa.intelligence.routing import (
    DEFAULT_BANDS,
    DEFAULT_NURTURE_BELOW,
    BandRule,
    WorkingHours,
)
from nexa.models.lead import COMPANY_SIZES

Priority = Literal["urgent", "high", "normal", "low"]
Assignment = Literal["top_performer", "round_robin", "sdr_queue"]
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
MAX_VALUES = 200
MAX_SEGMENTS = 50
MAX_MEMBERS = 500
RESERVED_SEGMENTS = ("default", "sdr_queue")


class BandSetting(InputModel):
    min_score: int = Field(ge=0, le=100, description="Leads scoring at least this (0–100)")
    assign: Assignment = Field(description="top_performer, round_robin or sdr_queue")
    priority: Priority
    sla_minutes: int = Field(ge=1, le=60 * 24 * 30, description="Working minutes to respond")

    def rule(self) -> BandRule:
        return BandRule(self.min_score, self.assign, self.priority, self.sla_minutes)


def _default_bands() -> list[BandSetting]:
    return [
        BandSetting(
            min_score=b.min_score, assign=b.assign, priority=b.priority, sla_minutes=b.sla_minutes
        )
        for b in DEFAULT_BANDS
    ]


class Members(InputModel):
    """Who is in a segment or the SDR queue: listed users and/or everyone in a team."""

    user_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_MEMBERS)
    team_id: uuid.UUID | None = None


class SegmentSetting(Members):
    name: str = Field(min_length=1, max_length=80)
    company_size: list[str] = Field(default_factory=list, max_length=MAX_VALUES)
    country: list[str] = Field(default_factory=list, max_length=MAX_VALUES)
    industry: list[str] = Field(default_factory=list, max_length=MAX_VALUES)
    source: list[str] = Field(default_factory=list, max_length=MAX_VALUES)

    @field_validator("company_size")
    @classmethod
    def _sizes(cls, v: list[str]) -> list[str]:
        bad = [s for s in v if s not in COMPANY_SIZES]
        if bad:
            raise ValueError(f"'{bad[0][:40]}' is not a company size ({', '.join(COMPANY_SIZES)})")
        return v

    @field_validator("country")
    @classmethod
    def _countries(cls, v: list[str]) -> list[str]:
        out = [c.strip().upper() for c in v]
        bad = [c for c in out if not re.fullmatch(r"[A-Z]{2}", c)]
        if bad:
            raise ValueError(f"'{bad[0][:40]}' is not an ISO 3166 alpha-2 country code")
        return out

    @field_validator("industry", "source")
    @classmethod
    def _texts(cls, v: list[str]) -> list[str]:
        out = [s.strip() for s in v if s.strip()]
        if any(len(s) > 120 for s in out):
            raise ValueError("each value is at most 120 characters")
        return out

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if v.strip().casefold() in RESERVED_SEGMENTS:
            raise ValueError(f"'{v}' is reserved; choose another segment name")
        return v.strip()

    def conditions(self) -> dict[str, list[str]]:
        return {
            "company_size": self.company_size,
            "country": self.country,
            "industry": self.industry,
            "source": self.source,
        }


class WorkingHoursSetting(InputModel):
    timezone: str = Field("UTC", max_length=60, description="An IANA zone, e.g. Europe/Berlin")
    weekdays: list[int] = Field(
        default_factory=lambda: [0, 1, 2, 3, 4], description="0 = Monday … 6 = Sunday"
    )
    start: str = Field("09:00", description="HH:MM local time")
    end: str = Field("17:00", description="HH:MM local time")
    always: bool = Field(False, description="Every minute counts (a 24/7 team)")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{v[:60]}' is not a known time zone") from None
        return v

    @field_validator("weekdays")
    @classmethod
    def _days(cls, v: list[int]) -> list[int]:
        if any(d < 0 or d > 6 for d in v):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        return sorted(set(v))

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        if not HHMM.match(v):
            raise ValueError("use HH:MM (24-hour clock)")
        return v

    @model_validator(mode="after")
    def _span(self) -> WorkingHoursSetting:
        if not self.always:
            if not self.weekdays:
                raise ValueError("choose at least one working day (or always)")
            if self.start >= self.end:
                raise ValueError("the working day must end after it starts")
        return self

    def hours(self) -> WorkingHours:
        return WorkingHours(
            timezone=self.timezone,
            weekdays=tuple(self.weekdays),
            start=time.fromisoformat(self.start),
            end=time.fromisoformat(self.end),
            always=self.always,
        )


class RoutingSettings(InputModel):
    """How new leads are assigned and how fast they must be answered."""

    enabled: bool = Field(True, description="Route new unowned leads automatically")
    bands: list[BandSetting] = Field(default_factory=_default_bands, min_length=1, max_length=10)
    nurture_below: int | None = Field(
        DEFAULT_NURTURE_BELOW,
        ge=0,
        le=101,
        description="Leads scoring below this join the Nurture list (null: never)",
    )
    segments: list[SegmentSetting] = Field(default_factory=list, max_length=MAX_SEGMENTS)
    sdr_queue: Members = Field(default_factory=Members)
    working_hours: WorkingHoursSetting = Field(default_factory=WorkingHoursSetting)
    warn_at_percent: int = Field(80, ge=1, le=99, description="Warn at this share of the window")
    top_performer_days: int = Field(90, ge=1, le=730, description="Look-back for top performers")

    @field_validator("bands")
    @classmethod
    def _bands(cls, v: list[BandSetting]) -> list[BandSetting]:
        scores = [b.min_score for b in v]
        if len(set(scores)) != len(scores):
            raise ValueError("two bands start at the same score")
        if 0 not in scores:
            raise ValueError("the lowest band must start at 0 so every lead has a rule")
        return sorted(v, key=lambda b: b.min_score, reverse=True)

    @field_validator("segments")
    @classmethod
    def _segment_names(cls, v: list[SegmentSetting]) -> list[SegmentSetting]:
        names = [s.name.casefold() for s in v]
        if len(set(names)) != len(names):
            raise ValueError("two segments have the same name")
        return v

    def rules(self) -> list[BandRule]:
        return [b.rule() for b in self.bands]


class RoutingResult(OutputModel):
    lead_id: uuid.UUID
    owner_id: uuid.UUID | None
    rule: str
    segment: str
    priority: str
    sla_minutes: int
    sla_due_at: datetime
    routed_at: datetime
    nurtured: bool


class SlaRow(OutputModel):
    user_id: uuid.UUID | None
    name: str
    routed: int
    responded_within: int
    breached: int
    pending: int
    attainment_percent: float | None
    median_first_response_minutes: float | None


class SlaReport(OutputModel):
    since: datetime
    until: datetime
    rows: list[SlaRow]
    total: SlaRow
