"""Normalisers for the typed values every object uses: email, phone (E.164), URL."""

from __future__ import annotations

from urllib.parse import urlsplit

import phonenumbers
from email_validator import EmailNotValidError, validate_email


def normalise_email(value: str) -> str:
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"not a valid email address: {exc}") from None
    return result.normalized.lower()


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
