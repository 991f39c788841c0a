"""Secrets the application must read back (an SMTP password), encrypted at rest with a key
derived from ``NEXA_SECRET_KEY``: Fernet (AES-128-CBC + HMAC-SHA256) from ``cryptography``,
its key HKDF-SHA256 of the secret key with a purpose label, so the cookie-signing key and
this one never coincide. Changing the secret key makes stored secrets unreadable (``open``
raises ``SecretUnreadable``): they must be entered again."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PURPOSE = b"nexa stored secrets v1"


class SecretUnreadable(ValueError):
    """A stored secret does not decrypt with the current secret key."""


def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PURPOSE).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(plaintext: str, secret_key: str) -> str:
    """The encrypted token of ``plaintext`` (ASCII, safe to store in JSON)."""
    return _fernet(secret_key).encrypt(plaintext.encode()).decode("ascii")


def unseal(token: str, secret_key: str) -> str:
    try:
        return _fernet(secret_key).decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        raise SecretUnreadable(
            "a stored secret does not decrypt with the current secret key"
        ) from None
