"""Recording an API key's last use after the request (never on the request's own path)."""

from __future__ import annotations

import uuid
from typing import Any

from nexa.auth import service
from nexa.worker import job


@job("api_key.touch", queue="interactive", retries=0)
def touch_api_key(session: Any, key_id: str) -> None:
    service.touch_api_key(session, uuid.UUID(key_id))
