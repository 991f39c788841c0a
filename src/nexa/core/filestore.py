"""The file store: one place for the files the product keeps — email attachments now, the
service desk's, documents and call recordings later.

A local folder, ``NEXA_FILES_DIR`` (default ``$NEXA_VAR_DIR/files``); when several web servers
run it is a shared mount, so each one reads what another stored. Files are
content-addressed: the key is the SHA-256 of the bytes, the path ``<root>/ab/cd/<key>``, so
the same attachment received twice is kept once and a key can never name a path outside the
store. A file is written under a temporary name and renamed into place (a reader never sees
half a file), 0600 in 0700 folders (nexa.core.files).

What may be stored is decided before: :func:`refusal` names the reason a file is not kept
(larger than the limit, a type that runs when opened — executables, scripts, installers);
:func:`safe_filename` makes the name a sender chose harmless to show and to offer for
download (no folders, no control characters, bounded length).
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from nexa.core.files import open_private, private_dir

KEY = re.compile(r"^[0-9a-f]{64}$")
MAX_NAME = 150
# Types that run when opened: refused whatever their size (the name's extension or the
# declared content type is enough).
DANGEROUS_EXTENSIONS = frozenset(
    {
        "exe", "com", "scr", "pif", "bat", "cmd", "msi", "msp", "dll", "cpl", "vbs", "vbe",
        "js", "jse", "wsf", "wsh", "ps1", "psm1", "hta", "jar", "lnk", "reg", "inf", "scf",
        "sh", "app", "apk", "iso", "img",
    }
)  # fmt: skip
DANGEROUS_TYPES = frozenset(
    {
        "application/x-msdownload",
        "application/x-msdos-program",
        "application/x-dosexec",
        "application/x-ms-installer",
        "application/x-msi",
        "application/vnd.microsoft.portable-executable",
        "application/x-sh",
        "application/x-bat",
        "application/hta",
        "application/java-archive",
        "application/javascript",
        "text/javascript",
        "application/x-javascript",
        "application/vbscript",
        "text/vbscript",
    }
)


class FileNotStored(LookupError):
    """No file with this key in the store."""


@dataclass(frozen=True)
class StoredFile:
    key: str
    size: int


def safe_filename(name: str | None, default: str = "attachment") -> str:
    """The last part of ``name`` (no folders: ``../../etc/passwd`` → ``passwd``), in NFC,
    without control or format characters, quotes or characters Windows forbids, not starting
    with a dot, at most 150 characters with the extension kept; ``default`` when nothing is
    left."""
    text = unicodedata.normalize("NFC", name or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" and ch not in '<>:"|?*')
    text = " ".join(text.split()).strip(" .")
    if not text:
        return default
    if len(text) > MAX_NAME:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            text = stem[: MAX_NAME - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            text = text[:MAX_NAME]
    return text


def refusal(name: str, content_type: str, size: int, max_bytes: int) -> str | None:
    """Why a file is not kept (None: it may be): too large, or a type that runs when
    opened."""
    if size > max_bytes:
        return f"{size} bytes; the limit is {max_bytes}"
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    if extension in DANGEROUS_EXTENSIONS:
        return f"a .{extension} file (runs when opened)"
    if content_type.lower() in DANGEROUS_TYPES:
        return f"of type {content_type.lower()} (runs when opened)"
    return None


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not KEY.match(key):
            raise FileNotStored(f"not a file key: {key!r}")
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes) -> StoredFile:
        """Store ``data`` (once: the same bytes again give the same key, nothing written)."""
        key = hashlib.sha256(data).hexdigest()
        path = self._path(key)
        if path.exists():
            return StoredFile(key, len(data))
        private_dir(path.parent)
        temporary = path.with_name(f".{key}.{os.getpid()}.{os.urandom(4).hex()}")
        try:
            with open_private(temporary, exclusive=True) as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
        return StoredFile(key, len(data))

    def exists(self, key: str) -> bool:
        try:
            return self._path(key).is_file()
        except FileNotStored:
            return False

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError:
            raise FileNotStored(f"no stored file {key}") from None

    def read(self, key: str) -> bytes:
        with self.open(key) as f:
            return f.read()

    def delete(self, key: str) -> None:
        """Remove a file (content-addressed: the caller knows no other row names it)."""
        self._path(key).unlink(missing_ok=True)


def default_store() -> FileStore:
    from nexa.config import get_settings

    return FileStore(get_settings().effective_files_dir)
