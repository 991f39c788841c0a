"""Normalisers for the typed values every object uses: email, phone (E.164), URL."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlsplit

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, StringConstraints

from nexa.config import get_settings
from nexa.core.localtime import check_zone
from nexa.core.text import clean_text, mixed_scripts_message, text_key


def normalise_email(value: str) -> str:
    """A valid address, lower case, in NFKC (``ａｎｎ@ｘ.io`` is ``ann@x.io``); refused when a
    word of it mixes alphabets (``аdmin@…`` with a Cyrillic ``а``: nexa.core.text)."""
    try:
        result = validate_email(unicodedata.normalize("NFKC", value), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"not a valid email address: {exc}") from None
    normalized = result.normalized.lower()
    mixed = mixed_scripts_message(normalized)
    if mixed:
        raise ValueError(f"not a valid email address: it {mixed}")
    return normalized


def single_script(value: str) -> str:
    """``value`` unchanged, refused when one of its words mixes alphabets (a person's name
    where a look-alike could pass for another: users)."""
    mixed = mixed_scripts_message(value)
    if mixed:
        raise ValueError(f"it {mixed}")
    return value


def distinct_tags(tags: list[str] | None) -> list[str] | None:
    """Tags in the text normaliser's form (NFKC, invisible characters dropped), each once
    by its key (``VIP``, ``vip`` and ``ＶＩＰ`` are one tag: the first spelling is kept)."""
    if tags is None:
        return None
    kept: dict[str, str] = {}
    for tag in tags:
        cleaned = clean_text(tag)
        key = text_key(cleaned)
        if key is None:
            raise ValueError("a tag cannot be blank")
        kept.setdefault(key, cleaned)
    return list(kept.values())


def normalise_phone(value: str, region: str = "US") -> str:
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number") from None
    if not phonenumbers.is_possible_number(number):
        raise ValueError("not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_url(value: str) -> str:
    candidate = value if "://" in value else f"https://{value}"
    parts = urlsplit(candidate)
    if parts.scheme not in ("http", "https") or not parts.hostname or "." not in parts.hostname:
        raise ValueError("not a web address (http or https with a domain name)")
    if any(c.isspace() for c in candidate):
        raise ValueError("a web address cannot contain spaces")
    return candidate


def regional_phone(value: str) -> str:
    """A phone number in E.164, a number without ``+`` read in ``NEXA_DEFAULT_REGION``."""
    return normalise_phone(value, get_settings().default_region)


def _or_none(normalise: Callable[[str], str]) -> Callable[[str | None], str | None]:
    def run(value: str | None) -> str | None:
        return normalise(value) if value else None  # "" means "no value"

    return run


# Field types of the typed values, for input schemas: ``email: EmailValue = Field(None, …)``.
EmailValue = Annotated[str | None, AfterValidator(_or_none(normalise_email))]
PhoneValue = Annotated[str | None, AfterValidator(_or_none(regional_phone))]
UrlValue = Annotated[str | None, AfterValidator(_or_none(normalise_url))]
# an IANA zone name (Europe/Paris); unknown names are refused (nexa.core.localtime)
TimeZoneValue = Annotated[str | None, AfterValidator(_or_none(check_zone))]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
TagList = Annotated[list[Tag] | None, AfterValidator(distinct_tags)]
MAX_TAGS = 50
