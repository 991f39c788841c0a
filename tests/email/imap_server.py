"""A real IMAP server for the tests: Debian's Dovecot (``dovecot-imapd``, installed by
scripts/setup.sh), started from the project's own configuration
(tests/email/dovecot/dovecot.conf.template) on a free loopback port, with everything —
sockets, state, log, passwd-file users, Maildirs — in one temporary folder.

Dovecot refuses mail access as root: when the tests run as root the Maildirs belong to an
unprivileged user (``nexamail``, made by scripts/setup.sh; ``nobody`` where it is missing) and
Dovecot's own processes run as its package's users (``dovecot``, ``dovenull``); otherwise
everything runs as the current user. Messages are delivered by IMAP APPEND.

Without Dovecot the tests that need it skip with a message — except under ``CI=true``, where
they fail, as a missing PostgreSQL does."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

TEMPLATE = Path(__file__).parent / "dovecot" / "dovecot.conf.template"
IN_CI = os.environ.get("CI", "").lower() == "true"
START_WAIT_SECONDS = 60.0


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot",) if os.access(p, os.X_OK)), None
    )


def require_dovecot() -> str:
    found = dovecot_binary()
    if found is None:
        message = (
            "Dovecot is not installed (Debian: apt-get install dovecot-imapd; "
            "scripts/setup.sh does it as root)"
        )
        if IN_CI:
            pytest.fail(message + " (CI=true: a missing Dovecot fails the run)")
        pytest.skip(message + "; skipping the IMAP tests")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _existing(*names: str) -> str:
    for name in names:
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise LookupError(f"none of the users {names} exists")


class DovecotServer:
    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="nexa-dovecot-"))
        self.process: subprocess.Popen[bytes] | None = None
        self.users: dict[str, str] = {}
        self._generation = 0
        self._spare: list[str] = []
        if os.geteuid() == 0:
            self.mail_user = _existing("nexamail", "nobody")
            self.internal_user = _existing("dovecot", self.mail_user)
            self.login_user = _existing("dovenull", self.internal_user)
        else:
            me = pwd.getpwuid(os.getuid()).pw_name
            self.mail_user = self.internal_user = self.login_user = me

    def _group(self, user: str) -> str:
        return grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name

    def _chown(self, path: Path) -> None:
        if os.geteuid() == 0:
            shutil.chown(path, self.mail_user, self._group(self.mail_user))

    def add_user(self, name: str, password: str) -> None:
        self.users[name] = password
        lines = [f"{u}:{{PLAIN}}{p}::::::\n" for u, p in self.users.items()]
        # replaced whole (a new inode) with a later mtime: Dovecot reads a passwd-file
        # again when either changes, even within the same second
        users = self.root / "users"
        fresh = self.root / "users.new"
        fresh.write_text("".join(lines))
        fresh.chmod(0o644)
        self._generation += 1
        stamp = time.time() + self._generation
        os.utime(fresh, (stamp, stamp))
        os.replace(fresh, users)
        home = self.root / "mail" / name.split("@", 1)[0]
        home.mkdir(parents=True, exist_ok=True)
        self._chown(home)

    def new_user(self) -> tuple[str, str]:
        """A user of the test's own, made before the server started (Dovecot may answer
        from its copy of the passwd-file for a moment after a change)."""
        if not self._spare:
            raise RuntimeError("no spare IMAP users left: raise SPARE_USERS")
        name = self._spare.pop()
        return name, self.users[name]

    def start(self, spare_users: int = 0) -> None:
        for i in range(spare_users):
            name = f"box{i}@crm.example.com"
            self.add_user(name, f"pw-{i}-{os.urandom(4).hex()}")
            self._spare.append(name)
        self.root.chmod(0o755)
        for sub in ("run", "state"):
            (self.root / sub).mkdir(exist_ok=True)
        mail = self.root / "mail"
        mail.mkdir(exist_ok=True)
        self._chown(mail)
        if not (self.root / "users").exists():
            (self.root / "users").write_text("")
            (self.root / "users").chmod(0o644)
        config = TEMPLATE.read_text().format(
            root=self.root,
            port=self.port,
            mail_user=self.mail_user,
            mail_group=self._group(self.mail_user),
            internal_user=self.internal_user,
            internal_group=self._group(self.internal_user),
            login_user=self.login_user,
        )
        (self.root / "dovecot.conf").write_text(config)
        self.process = subprocess.Popen(
            [self.binary, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + START_WAIT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as conn:
                    if conn.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.2)
        err = b""
        if self.process.poll() is not None and self.process.stderr is not None:
            err = self.process.stderr.read()
        log = (
            (self.root / "dovecot.log").read_text() if (self.root / "dovecot.log").exists() else ""
        )
        self.stop()
        raise RuntimeError(f"Dovecot did not start: {err.decode(errors='replace')} {log[-2000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        self.process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def client(self, user: str) -> object:
        from imapclient import IMAPClient

        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=30)
        client.login(user, self.users[user])
        return client

    def append(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        client = self.client(user)
        try:
            client.append(folder, raw)  # type: ignore[attr-defined]
        finally:
            client.logout()  # type: ignore[attr-defined]
