"""The file store: content-addressed, written whole or not at all, 0600 in 0700 folders;
names made safe; dangerous types and sizes over the limit refused."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from nexa.core.filestore import FileNotStored, FileStore, refusal, safe_filename


def test_put_read_delete_and_the_same_bytes_kept_once(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "files")
    first = store.put(b"hello")
    again = store.put(b"hello")
    assert first == again and first.size == 5 and len(first.key) == 64
    assert store.read(first.key) == b"hello" and store.exists(first.key)
    path = tmp_path / "files" / first.key[:2] / first.key[2:4] / first.key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == [first.key]  # no temporary left
    store.delete(first.key)
    assert not store.exists(first.key)
    with pytest.raises(FileNotStored):
        store.open(first.key)


@pytest.mark.parametrize("key", ["../../etc/passwd", "ab", "A" * 64, "/" + "a" * 63])
def test_a_key_never_names_a_path_outside_the_store(tmp_path: Path, key: str) -> None:
    store = FileStore(tmp_path)
    assert not store.exists(key)
    with pytest.raises(FileNotStored):
        store.open(key)


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\report.pdf", "report.pdf"),
        ("in\x00voice\x1b[31m.pdf", "invoice[31m.pdf"),
        ('a<b>c:"d|e?f*.txt', "abcdef.txt"),
        ("  .hidden  ", "hidden"),
        ("", "attachment"),
        (None, "attachment"),
        ("\u202eexe.pdf", "exe.pdf"),
        ("x" * 300 + ".docx", "x" * 145 + ".docx"),
    ],
)
def test_safe_filenames(given: str | None, safe: str) -> None:
    assert safe_filename(given) == safe


def test_refusals() -> None:
    assert refusal("a.pdf", "application/pdf", 10, 10) is None
    assert "limit is 10" in (refusal("a.pdf", "application/pdf", 11, 10) or "")
    assert ".exe" in (refusal("setup.EXE", "application/octet-stream", 1, 10) or "")
    assert refusal("x.txt", "application/x-msdownload", 1, 10) is not None
    assert refusal("run.js", "text/plain", 1, 10) is not None
