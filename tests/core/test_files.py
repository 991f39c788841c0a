"""Private files (nexa.core.files): folders 0700 and files 0600 whatever the umask, and the
start-up correction of wrong modes. Runs under umask 022 (the ``private_var`` fixture)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sqlalchemy import text

from nexa.core.db import make_engine
from nexa.core.files import (
    open_private,
    private_dir,
    private_file,
    secure_storage,
    write_private_text,
    wrong_modes,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_folders_and_files_are_made_private_whatever_the_umask(private_var: Path) -> None:
    folder = private_dir(private_var / "a" / "b")
    assert [mode(p) for p in (private_var, private_var / "a", folder)] == [0o700] * 3
    with open_private(folder / "f.bin") as out:
        out.write(b"x")
    write_private_text(folder / "t.txt", "x")
    assert mode(folder / "f.bin") == mode(folder / "t.txt") == 0o600
    loose = folder / "loose.txt"
    loose.write_text("x")
    loose.chmod(0o644)
    with open_private(loose) as out:  # an existing file is narrowed too
        out.write(b"y")
    assert mode(loose) == 0o600


def test_the_sqlite_database_and_its_wal_and_shm_are_0600(private_var: Path) -> None:
    path = private_var / "data" / "nexa.db"
    engine = make_engine(f"sqlite:///{path.as_posix()}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        with engine.connect() as conn:  # WAL mode: -wal and -shm exist while connected
            assert conn.execute(text("SELECT x FROM t")).scalar() == 1
            companions = [path.with_name(path.name + s) for s in ("-wal", "-shm")]
            assert all(p.exists() for p in companions)
            assert [mode(p) for p in (path, *companions)] == [0o600] * 3
    finally:
        engine.dispose()
    assert mode(path.parent) == 0o700


def test_start_up_corrects_wrong_modes_and_sets_the_umask(private_var: Path) -> None:
    (private_var / "recordings").mkdir(parents=True)
    os.chmod(private_var, 0o755)  # noqa: S103  (wrong on purpose: an older install)
    os.chmod(private_var / "recordings", 0o755)  # noqa: S103
    (private_var / "recordings" / "c.mp3").write_bytes(b"x")
    os.chmod(private_var / "recordings" / "c.mp3", 0o644)
    elsewhere = private_var.parent / "db"
    elsewhere.mkdir()
    database = private_file(elsewhere / "nexa.db")
    database.chmod(0o644)
    frozen = private_var / "frozen.txt"
    frozen.write_text("x")
    frozen.chmod(0o444)
    os.symlink("/etc/hostname", private_var / "link")  # never followed
    assert {p.name for p, _ in wrong_modes(private_var)} == {
        "var",
        "recordings",
        "c.mp3",
        "frozen.txt",
    }

    fixed, refused = secure_storage(private_var, f"sqlite:///{database}")
    try:
        assert refused == []
        assert len(fixed) == 5
        assert mode(frozen) == 0o400  # narrowed, not made writable
        assert wrong_modes(private_var) == [] and mode(database) == 0o600
        assert mode(private_var) == mode(private_var / "recordings") == 0o700
        assert mode(Path("/etc/hostname")) & 0o044  # the link's target was left alone
        (private_var / "new.txt").write_text("x")  # umask 077 from now on
        assert mode(private_var / "new.txt") == 0o600
    finally:
        os.umask(0o022)  # the fixture restores the session's own
