"""Private files: the var folder (``NEXA_VAR_DIR``) and everything Nexa writes in it — the
SQLite database and its -wal/-shm files, the job storage, the secret key, import uploads,
call recordings — are readable by the server's own user only: folders 0700, files 0600.

Three layers, so that no single one has to be right:

- the processes that write there (``nexa serve``, ``nexa worker``, every CLI command, the
  app's start-up) run with umask 077 (:func:`restrict_umask`);
- each place that creates a file or folder gives it its mode explicitly
  (:func:`private_dir`, :func:`open_private`, :func:`write_private_text`,
  :func:`private_file`), whatever the umask;
- at start-up the var folder is walked and wrong modes left by older versions or by hand
  are corrected (:func:`secure_tree`); ``nexa doctor`` lists them (:func:`wrong_modes`).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
UMASK = 0o077
OPEN_TO_OTHERS = 0o077  # group and other permission bits


def restrict_umask() -> int:
    """Files and folders this process creates are its user's only; returns the old umask."""
    return os.umask(UMASK)


def private_dir(path: Path) -> Path:
    """``path`` as a folder, each missing level created 0700 (existing ones are left as
    they are: a parent outside Nexa's own folders is not Nexa's to change)."""
    missing: list[Path] = []
    level = path
    while not level.exists() and level.parent != level:
        missing.append(level)
        level = level.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            continue  # made by another process meanwhile
        os.chmod(folder, PRIVATE_DIR)  # mkdir's mode passes through the umask
    return path


def open_private(path: Path, *, exclusive: bool = False) -> BinaryIO:
    """``path`` opened for binary writing as a 0600 file (truncated, or with ``exclusive``
    refused if it exists); a file that existed with a wider mode is narrowed."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags | getattr(os, "O_BINARY", 0), PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
        return os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        raise


def write_private_text(path: Path, text: str) -> None:
    with open_private(path) as out:
        out.write(text.encode("utf-8"))


def private_file(path: Path) -> Path:
    """``path`` exists as a 0600 file (created empty when missing: an empty file is a valid
    empty SQLite database, and SQLite gives its -wal and -shm files the database's mode)."""
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CREAT, PRIVATE_FILE)
    except OSError:
        return path  # not ours to create or open (read-only, another owner): SQLite says why
    try:
        current = stat.S_IMODE(os.fstat(fd).st_mode)
        if current & OPEN_TO_OTHERS:
            os.fchmod(fd, current & ~OPEN_TO_OTHERS)  # narrowed; a read-only file stays so
    except OSError:
        pass  # another user's file: `nexa doctor` lists its mode
    finally:
        os.close(fd)
    return path


def _walk(root: Path) -> list[tuple[Path, os.stat_result]]:
    """``root`` and everything below it (symbolic links are neither followed nor listed)."""
    found: list[tuple[Path, os.stat_result]] = []
    try:
        found.append((root, root.lstat()))
    except FileNotFoundError:
        return found
    for folder, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            path = Path(folder) / name
            try:
                info = path.lstat()
            except FileNotFoundError:
                continue
            if not stat.S_ISLNK(info.st_mode):
                found.append((path, info))
    return found


def _wanted(info: os.stat_result) -> int | None:
    """The narrowed mode: the owner's bits kept, group and others' removed (a 0644 file
    becomes 0600, a 0755 folder 0700, a 0444 file 0400)."""
    if stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode):
        return stat.S_IMODE(info.st_mode) & ~OPEN_TO_OTHERS
    return None  # sockets, fifos: not ours to change


def wrong_modes(root: Path) -> list[tuple[Path, int]]:
    """(path, mode) of every folder and file under ``root`` that its group or others may
    read, write or enter."""
    return [
        (path, stat.S_IMODE(info.st_mode))
        for path, info in _walk(root)
        if _wanted(info) is not None and info.st_mode & OPEN_TO_OTHERS
    ]


def secure_tree(root: Path) -> tuple[list[Path], list[Path]]:
    """Take group's and others' access away from every folder and file under ``root``
    (0755 -> 0700, 0644 -> 0600); (corrected, could not be changed)."""
    fixed: list[Path] = []
    refused: list[Path] = []
    for path, info in _walk(root):
        wanted = _wanted(info)
        if wanted is None or not info.st_mode & OPEN_TO_OTHERS:
            continue
        try:
            os.chmod(path, wanted)
            fixed.append(path)
        except OSError:
            refused.append(path)
    return fixed, refused


def sqlite_files(database_url: str) -> list[Path]:
    """The SQLite database file of ``database_url`` and its -wal/-shm/-journal companions
    (none for other databases or in-memory SQLite)."""
    if not database_url.startswith("sqlite"):
        return []
    path = database_url.split("///", 1)[-1].split("?", 1)[0]
    if not path or path == ":memory:":
        return []
    base = Path(path)
    return [base, *(base.with_name(base.name + s) for s in ("-wal", "-shm", "-journal"))]


def secure_storage(var_dir: Path, database_url: str) -> tuple[list[Path], list[Path]]:
    """Start-up: umask 077, the var folder 0700, and every wrong mode in it or on the
    SQLite files (wherever they are) corrected; (corrected, could not be changed)."""
    restrict_umask()
    private_dir(var_dir)
    fixed, refused = secure_tree(var_dir)
    for path in sqlite_files(database_url):
        try:
            info = path.lstat()
        except FileNotFoundError:
            continue
        if stat.S_ISREG(info.st_mode) and info.st_mode & OPEN_TO_OTHERS and path not in fixed:
            try:
                os.chmod(path, stat.S_IMODE(info.st_mode) & ~OPEN_TO_OTHERS)
                fixed.append(path)
            except OSError:
                refused.append(path)
    return fixed, refused
