"""The organization's profile: the seller on its documents (name, address, contact details,
tax number, logo), what its quotes say by default (terms, days of validity) and the time zone
of members whose own is not known (issue 19: ``nexa.core.localtime.member_zone``).

Stored as one organization setting (``organization.profile``); the logo is a PNG or JPEG of
at most 256 KB and 2,000 × 2,000 pixels, checked by decoding it, kept in the file store and
named by its key. Everyone's quotes print it; admins (``settings:*``) read and change it.
"""

from __future__ import annotations

import io
from datetime import UTC, tzinfo
from typing import Any

from pydantic import BaseModel, Field, field_validator
from sqlalchemy.orm import Session

from nexa.config import get_settings
from nexa.core.actor import Actor
from nexa.core.errors import PermissionDenied, ValidationFailed
from nexa.core.filestore import FileNotStored, default_store
from nexa.core.localtime import check_zone, zone_or_none
from nexa.models import OrgSetting
from nexa.models.org_setting import put_setting

PROFILE_KEY = "organization.profile"
LOGO_MAX_BYTES = 256 * 1024
LOGO_MAX_SIDE = 2000
LOGO_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
DEFAULT_VALID_DAYS = 30


def _text(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class OrganizationProfileIn(BaseModel):
    """What an admin sets (every field optional but the name)."""

    name: str = Field(min_length=1, max_length=200)
    address: str = Field("", max_length=1000, description="Lines separated by new lines")
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    website: str = Field("", max_length=300)
    tax_id: str = Field("", max_length=60, description="VAT or tax registration number")
    quote_terms: str = Field(
        "", max_length=4000, description="Printed on quotes that have no terms of their own"
    )
    quote_valid_days: int = Field(
        DEFAULT_VALID_DAYS, ge=1, le=365, description="A quote without a date is valid this long"
    )
    time_zone: str = Field(
        "UTC",
        max_length=64,
        description="IANA zone for members (leads, contacts) whose own zone is not known",
    )

    _strip = field_validator("*", mode="before")(_text)

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, v: str) -> str:
        return check_zone(v) if v else "UTC"


class OrganizationProfile(OrganizationProfileIn):
    has_logo: bool = False
    logo_type: str | None = None
    logo_key: str | None = Field(None, exclude=True)  # the file store's key, never shown

    @property
    def address_lines(self) -> list[str]:
        return [line.strip() for line in self.address.splitlines() if line.strip()][:8]


def _stored(session: Session) -> dict[str, Any]:
    row = session.get(OrgSetting, PROFILE_KEY)
    return dict(row.value) if row is not None and isinstance(row.value, dict) else {}


def _write(session: Session, value: dict[str, Any]) -> None:
    put_setting(session, PROFILE_KEY, value)


def organization_profile(session: Session) -> OrganizationProfile:
    """The profile as documents print it (no permission: the seller is on every quote)."""
    stored = _stored(session)
    values = {k: v for k, v in stored.items() if k in OrganizationProfileIn.model_fields}
    values.setdefault("name", get_settings().org_name)
    try:
        profile = OrganizationProfile(**values)
    except ValueError:  # a value stored before a limit changed: the defaults, not a 500
        profile = OrganizationProfile(name=get_settings().org_name)
    profile.logo_key = str(stored["logo_key"]) if stored.get("logo_key") else None
    profile.has_logo = profile.logo_key is not None
    profile.logo_type = stored.get("logo_type") if profile.has_logo else None
    return profile


def organization_zone(session: Session) -> tzinfo:
    """The organization's default zone for members whose own is not known (UTC when unset)."""
    return zone_or_none(organization_profile(session).time_zone) or UTC


def get_profile(session: Session, actor: Actor) -> OrganizationProfile:
    if not actor.can("settings:read"):
        raise PermissionDenied("only admins see the organization's settings")
    return organization_profile(session)


def set_profile(session: Session, actor: Actor, data: OrganizationProfileIn) -> OrganizationProfile:
    if not actor.can("settings:write"):
        raise PermissionDenied("only admins change the organization's profile")
    stored = _stored(session)
    _write(session, {**stored, **data.model_dump()})
    return organization_profile(session)


def check_logo(data: bytes) -> str:
    """The logo's content type, or a 422 naming ``logo`` and why it cannot be used."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise ValidationFailed("choose an image file", field="logo")
    if len(data) > LOGO_MAX_BYTES:
        raise ValidationFailed(
            f"is {len(data) // 1024} KB; at most {LOGO_MAX_BYTES // 1024} KB", field="logo"
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format or ""
            width, height = image.size
            if kind not in LOGO_TYPES:
                raise ValidationFailed("must be a PNG or JPEG image", field="logo")
            if max(width, height) > LOGO_MAX_SIDE:
                raise ValidationFailed(
                    f"is {width} × {height} pixels; at most {LOGO_MAX_SIDE} on each side",
                    field="logo",
                )
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ValidationFailed(
            "is not an image this can read (PNG or JPEG)", field="logo"
        ) from None
    return LOGO_TYPES[kind]


def set_logo(session: Session, actor: Actor, data: bytes) -> OrganizationProfile:
    if not actor.can("settings:write"):
        raise PermissionDenied("only admins change the organization's logo")
    content_type = check_logo(data)
    stored = default_store().put(data)
    _write(session, {**_stored(session), "logo_key": stored.key, "logo_type": content_type})
    return organization_profile(session)


def remove_logo(session: Session, actor: Actor) -> OrganizationProfile:
    if not actor.can("settings:write"):
        raise PermissionDenied("only admins change the organization's logo")
    values = _stored(session)
    values.pop("logo_key", None)
    values.pop("logo_type", None)
    _write(session, values)
    return organization_profile(session)


def logo(session: Session, profile: OrganizationProfile | None = None) -> tuple[bytes, str] | None:
    """The logo's bytes and content type (None without one, or when its file is gone);
    ``profile``: the one in hand, not read again."""
    profile = profile or organization_profile(session)
    if profile.logo_key is None:
        return None
    try:
        return default_store().read(profile.logo_key), profile.logo_type or "image/png"
    except (FileNotStored, ValueError):
        return None
