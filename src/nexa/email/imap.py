"""Reading mailboxes over IMAP (``imapclient``): one fetch pass (:func:`run_once`) and the
long-running watcher behind ``nexa mail watch`` (:class:`Watcher`).

A pass selects the mailbox's folder read-only, asks for the UIDs above the last one read
(all of them again when the server's UIDVALIDITY changed: what is already stored is then a
duplicate by its Message-ID, not a second copy), and takes each message in a transaction of
its own: the message (nexa.email.inbound.receive) and the mailbox's new ``last_uid`` are
committed together, so a crash mid-pass reads again from the first message not committed.
Bodies are fetched with ``BODY.PEEK[]`` (nothing is marked read in the user's mailbox); a
message larger than ``NEXA_EMAIL_MAX_MESSAGE_BYTES`` is not downloaded, only recorded.

The watcher holds one connection per enabled mailbox, each in its own thread: after a pass
it waits in IDLE (re-issued every ``NEXA_MAIL_IDLE_SECONDS``; servers drop an IDLE after
30 minutes) or, on a server without IDLE, sleeps ``NEXA_MAIL_POLL_SECONDS``. A connection
that fails is recorded on the mailbox (``last_error``) and tried again after 1, 2, 4 … 300
seconds. Mailboxes added or enabled later are picked up within ``rescan_seconds``; one that
is disabled or removed has its thread end after its current wait. ``stop()`` (SIGTERM,
Ctrl+C) ends every wait within a few seconds.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from nexa.config import get_settings
from nexa.core.db import session_scope, utcnow
from nexa.core.filestore import FileStore
from nexa.core.secretbox import unseal
from nexa.email.inbound import receive, refuse
from nexa.email.repository import InboundRepository
from nexa.email.transport import _is_loopback

log = logging.getLogger(__name__)
Sessions = Callable[[], AbstractContextManager[Session]]
FETCH_CHUNK = 25
IDLE_CHECK_SECONDS = 2.0
MAX_BACKOFF_SECONDS = 300.0


class ImapRefused(RuntimeError):
    """The mailbox cannot be read as configured (a host refused by the loopback rule)."""


@dataclass(frozen=True)
class ImapConfig:
    mailbox_id: uuid.UUID
    address: str
    host: str
    port: int
    security: str
    username: str
    password: str
    folder: str
    enabled: bool


@dataclass
class PassResult:
    """What one fetch pass did: messages seen, and how many ended in each outcome."""

    mailbox: str
    seen: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    uidvalidity_changed: bool = False

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


def load_config(session: Session, mailbox_id: uuid.UUID) -> ImapConfig | None:
    mailbox = InboundRepository(session).mailbox(mailbox_id)
    if mailbox is None:
        return None
    password = ""
    if mailbox.imap_password:
        password = unseal(mailbox.imap_password, get_settings().effective_secret_key)
    return ImapConfig(
        mailbox_id=mailbox.id,
        address=mailbox.address,
        host=mailbox.imap_host,
        port=mailbox.imap_port,
        security=mailbox.imap_security,
        username=mailbox.imap_username or mailbox.address,
        password=password,
        folder=mailbox.folder or "INBOX",
        enabled=mailbox.enabled,
    )


def connect(config: ImapConfig) -> Any:
    """A logged-in IMAPClient (TLS, STARTTLS or plain as configured). Under
    ``NEXA_OUTBOUND_LOOPBACK_ONLY`` a host that is not a loopback address is refused before
    any lookup, as for SMTP and webhooks."""
    from imapclient import IMAPClient

    settings = get_settings()
    if settings.outbound_loopback_only and not _is_loopback(config.host):
        raise ImapRefused(
            f"refused: {config.host} is not a loopback address and outbound connections are "
            "limited to loopback here (NEXA_OUTBOUND_LOOPBACK_ONLY)"
        )
    context = ssl.create_default_context()
    client = IMAPClient(
        config.host,
        port=config.port,
        ssl=config.security == "tls",
        ssl_context=context if config.security == "tls" else None,
        timeout=settings.email_smtp_timeout_seconds,
    )
    try:
        if config.security == "starttls":
            client.starttls(context)
        client.login(config.username, config.password)
    except BaseException:
        with suppress(Exception):
            client.shutdown()
        raise
    return client


def _record_error(sessions: Sessions, mailbox_id: uuid.UUID, error: str | None) -> None:
    with sessions() as session:
        mailbox = InboundRepository(session).mailbox(mailbox_id)
        if mailbox is not None:
            mailbox.last_error = error[:2000] if error else None
            mailbox.last_checked_at = utcnow()


def fetch_new(
    client: Any,
    config: ImapConfig,
    *,
    sessions: Sessions = session_scope,
    store: FileStore | None = None,
) -> PassResult:
    """One pass over ``config``'s folder on an open connection (see the module's
    docstring)."""
    result = PassResult(config.address)
    info = client.select_folder(config.folder, readonly=True)
    validity = int(info[b"UIDVALIDITY"])
    with sessions() as session:
        mailbox = InboundRepository(session).mailbox(config.mailbox_id)
        if mailbox is None:
            return result
        last = int(mailbox.last_uid or 0)
        if mailbox.uidvalidity is not None and mailbox.uidvalidity != validity:
            result.uidvalidity_changed = True
            last = 0
    # "n:*" always answers the newest message, even when its UID is below n
    uids = sorted(u for u in client.search(["UID", f"{last + 1}:*"]) if u > last)
    limit = get_settings().email_max_message_bytes
    for start in range(0, len(uids), FETCH_CHUNK):
        chunk = uids[start : start + FETCH_CHUNK]
        sizes = {
            u: int(d.get(b"RFC822.SIZE", 0))
            for u, d in client.fetch(chunk, ["RFC822.SIZE"]).items()
        }
        wanted = [u for u in chunk if sizes.get(u, 0) <= limit]
        bodies = client.fetch(wanted, ["BODY.PEEK[]"]) if wanted else {}
        for uid in chunk:
            with sessions() as session:
                mailbox = InboundRepository(session).mailbox(config.mailbox_id)
                if mailbox is None:
                    return result
                raw = bodies.get(uid, {}).get(b"BODY[]")
                if uid not in wanted:
                    outcome = refuse(
                        session,
                        mailbox=mailbox,
                        source="imap",
                        size=sizes.get(uid, 0),
                        detail=f"{sizes.get(uid, 0)} bytes; the limit is {limit}",
                        imap_uid=uid,
                    )
                elif raw is None:  # expunged between the two fetches
                    continue
                else:
                    outcome = receive(
                        session,
                        bytes(raw),
                        mailbox=mailbox,
                        source="imap",
                        imap_uid=uid,
                        store=store,
                    )
                mailbox.last_uid = uid
                mailbox.uidvalidity = validity
                result.seen += 1
                result.count(outcome.outcome)
    with sessions() as session:
        mailbox = InboundRepository(session).mailbox(config.mailbox_id)
        if mailbox is not None:
            mailbox.uidvalidity = validity
            if result.uidvalidity_changed and not uids:
                mailbox.last_uid = 0
            mailbox.last_checked_at = utcnow()
            mailbox.last_error = None
    return result


def run_once(
    mailbox_id: uuid.UUID,
    *,
    sessions: Sessions = session_scope,
    store: FileStore | None = None,
) -> PassResult:
    """Connect, do one fetch pass, log out. A failure is recorded on the mailbox
    (``last_error``) and raised."""
    with sessions() as session:
        config = load_config(session, mailbox_id)
    if config is None:
        raise LookupError(f"no mailbox {mailbox_id}")
    try:
        client = connect(config)
        try:
            return fetch_new(client, config, sessions=sessions, store=store)
        finally:
            with suppress(Exception):
                client.logout()
    except Exception as exc:
        _record_error(sessions, mailbox_id, f"{type(exc).__name__}: {exc}")
        raise


class Watcher:
    """``nexa mail watch``: a thread per enabled mailbox (see the module's docstring)."""

    def __init__(
        self,
        *,
        sessions: Sessions = session_scope,
        store: FileStore | None = None,
        idle_seconds: float | None = None,
        poll_seconds: float | None = None,
        rescan_seconds: float = 30.0,
        on_pass: Callable[[PassResult], None] | None = None,
        on_error: Callable[[uuid.UUID, Exception], None] | None = None,
    ) -> None:
        settings = get_settings()
        self.sessions = sessions
        self.store = store
        self.idle_seconds = idle_seconds or settings.mail_idle_seconds
        self.poll_seconds = poll_seconds or settings.mail_poll_seconds
        self.rescan_seconds = rescan_seconds
        self.on_pass = on_pass
        self.on_error = on_error
        self.stopping = threading.Event()
        self.threads: dict[uuid.UUID, threading.Thread] = {}

    def stop(self) -> None:
        self.stopping.set()

    def run(self, mailbox_ids: list[uuid.UUID] | None = None) -> None:
        """Until :meth:`stop`: keep a thread on each enabled mailbox (or on those given)."""
        try:
            while not self.stopping.is_set():
                wanted = mailbox_ids if mailbox_ids is not None else self._enabled()
                for mailbox_id in wanted:
                    thread = self.threads.get(mailbox_id)
                    if thread is None or not thread.is_alive():
                        thread = threading.Thread(
                            target=self.watch_mailbox,
                            args=(mailbox_id,),
                            name=f"mail-watch-{mailbox_id}",
                            daemon=True,
                        )
                        self.threads[mailbox_id] = thread
                        thread.start()
                self.stopping.wait(self.rescan_seconds)
        finally:
            self.stopping.set()
            for thread in self.threads.values():
                thread.join(timeout=60)

    def _enabled(self) -> list[uuid.UUID]:
        try:
            with self.sessions() as session:
                return [
                    m.id
                    for m in InboundRepository(session).mailboxes(enabled_only=True)
                    if m.imap_host
                ]
        except Exception:
            log.exception("mail watch: the mailboxes could not be read")
            return list(self.threads)

    def watch_mailbox(self, mailbox_id: uuid.UUID) -> None:
        backoff = 1.0
        while not self.stopping.is_set():
            try:
                with self.sessions() as session:
                    config = load_config(session, mailbox_id)
                if config is None or not config.enabled:
                    return
                client = connect(config)
                try:
                    backoff = 1.0
                    while not self.stopping.is_set():
                        result = fetch_new(client, config, sessions=self.sessions, store=self.store)
                        if result.seen:
                            log.info("mail watch %s: %s", config.address, result.outcomes)
                        if self.on_pass is not None:
                            self.on_pass(result)
                        if b"IDLE" in client.capabilities():
                            self._idle(client)
                        else:
                            self.stopping.wait(self.poll_seconds)
                        with self.sessions() as session:
                            config = load_config(session, mailbox_id)
                        if config is None or not config.enabled:
                            return
                finally:
                    with suppress(Exception):
                        client.logout()
            except Exception as exc:
                log.warning("mail watch %s: %s; again in %.0f s", mailbox_id, exc, backoff)
                with suppress(Exception):
                    _record_error(self.sessions, mailbox_id, f"{type(exc).__name__}: {exc}")
                if self.on_error is not None:
                    self.on_error(mailbox_id, exc)
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def _idle(self, client: Any) -> None:
        """Wait in IDLE until the server announces a change, the IDLE period ends or the
        watcher stops (checked every couple of seconds)."""
        client.idle()
        deadline = time.monotonic() + self.idle_seconds
        try:
            while not self.stopping.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                responses = client.idle_check(timeout=min(IDLE_CHECK_SECONDS, left))
                if any(b"EXISTS" in r for r in responses if isinstance(r, tuple)):
                    return
        finally:
            client.idle_done()
