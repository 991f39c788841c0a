"""``nexa mail receive``: an SMTP listener (``aiosmtpd``) for mail servers that pipe mail in
rather than keep it in an IMAP mailbox.

RCPT TO is accepted for the address of a mailbox, for the bounce addresses of our own sent
mail (``bounces+<id>@<from-domain>``, VERP; feedback reports come there too) and for its
List-Unsubscribe mailto (``unsubscribe+<id>@<from-domain>``); any other recipient is
refused with 550, so the listener never relays or collects mail for strangers. After DATA
each mailbox named takes the message (nexa.email.inbound.receive, a transaction of its
own): the first stores it, another one names the same Message-ID and records a duplicate.
The message size is bounded by ``NEXA_EMAIL_MAX_MESSAGE_BYTES`` (SIZE is announced; larger
is a 552). A failure to store answers 451, so the sending server tries again later.

The database is reached from a worker thread (``run_in_executor``): the SMTP event loop
never waits on it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy.orm import Session

from nexa.config import get_settings
from nexa.core.db import session_scope
from nexa.core.filestore import FileStore
from nexa.email.inbound import Outcome, receive
from nexa.email.repository import EmailRepository, InboundRepository

log = logging.getLogger(__name__)
Sessions = Callable[[], AbstractContextManager[Session]]
BOUNCE_LOCAL = re.compile(r"^bounces\+[0-9a-f]{32}$", re.IGNORECASE)
# the List-Unsubscribe mailto of a message (nexa.email.mime)
UNSUBSCRIBE_LOCAL = re.compile(r"^unsubscribe\+[0-9a-f]{32}$", re.IGNORECASE)


class InboundHandler:
    """The aiosmtpd handler (its ``handle_RCPT`` and ``handle_DATA`` hooks)."""

    def __init__(self, *, sessions: Sessions = session_scope, store: FileStore | None = None):
        self.sessions = sessions
        self.store = store
        self.outcomes: list[Outcome] = []  # what the last messages became (tests, logs)

    def _accepts(self, address: str) -> bool:
        local, _, domain = address.lower().rpartition("@")
        with self.sessions() as session:
            if InboundRepository(session).mailbox_by_address(address) is not None:
                return True
            smtp = EmailRepository(session).smtp_settings() or {}
        ours = BOUNCE_LOCAL.match(local) or UNSUBSCRIBE_LOCAL.match(local)
        return bool(ours) and domain == str(smtp.get("from_domain", ""))

    def _take(self, raw: bytes, recipients: list[str]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        seen: set[Any] = set()
        for address in recipients:
            with self.sessions() as session:
                mailbox = InboundRepository(session).mailbox_by_address(address)
                key = mailbox.id if mailbox is not None else None
                if key in seen:
                    continue
                seen.add(key)
                outcomes.append(
                    receive(
                        session,
                        raw,
                        mailbox=mailbox,
                        source="smtp",
                        store=self.store,
                        recipients=[address],
                    )
                )
        return outcomes

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        loop = asyncio.get_running_loop()
        try:
            accepted = await loop.run_in_executor(None, self._accepts, address)
        except Exception:
            log.exception("mail receive: checking %s failed", address)
            return "451 4.3.0 cannot check this recipient now; try again later"
        if not accepted:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        data = raw if isinstance(raw, bytes) else str(raw).encode("utf-8", "surrogateescape")
        loop = asyncio.get_running_loop()
        try:
            outcomes = await loop.run_in_executor(None, self._take, data, list(envelope.rcpt_tos))
        except Exception:
            log.exception("mail receive: a message could not be taken")
            return "451 4.3.0 the message could not be stored; try again later"
        self.outcomes.extend(outcomes)
        if any(o.outcome == "failed" for o in outcomes):
            return "451 4.3.0 the message could not be stored; try again later"
        return "250 2.0.0 OK: " + ", ".join(o.outcome for o in outcomes)


def controller(
    host: str,
    port: int,
    *,
    sessions: Sessions = session_scope,
    store: FileStore | None = None,
) -> Any:
    """An aiosmtpd Controller (``start()``/``stop()``) listening on ``host``:``port``."""
    from aiosmtpd.controller import Controller

    return Controller(
        InboundHandler(sessions=sessions, store=store),
        hostname=host,
        port=port,
        data_size_limit=get_settings().email_max_message_bytes,
        decode_data=False,
        ready_timeout=30,
    )
