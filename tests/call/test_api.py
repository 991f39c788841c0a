from __future__ import annotations

import hashlib
import io
import stat
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from nexa.call.service import MAX_RECORDING_BYTES, CallService, PayloadTooLarge
from nexa.config import get_settings
from nexa.core.actor import SYSTEM
from nexa.core.db import utcnow
from nexa.models import Activity
from tests.factories.account import make_account
from tests.factories.call import make_call
from tests.factories.contact import make_contact

URL = "/api/v1/calls"
MP3 = b"ID3\x04\x00" + bytes(range(256)) * 40


def _field(response: Any, status: int = 422) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()["errors"][0]["field"]  # type: ignore[no-any-return]


def _recordings() -> Path:
    return Path(get_settings().var_dir) / "recordings"


def _upload(client: Any, person: Any, call_id: Any, data: Any, content_type: str) -> Any:
    return client.put(
        f"{URL}/{call_id}/recording",
        headers=person.headers,
        files={"file": ("rec.bin", data, content_type)},
    )


def test_create_normalises(client: Any, db: Any, users: Any) -> None:
    contact = make_contact(db, users.rep.actor)
    account = make_account(db, users.rep.actor)
    db.commit()
    before = utcnow()
    r = client.post(
        URL,
        headers=users.rep.headers,
        json={
            "subject": "Discovery",
            "direction": "outbound",
            "phone_number": "(415) 555-0100",
            "contact_id": str(contact.id),
            "duration_seconds": 600,
            "outcome": "connected",
            "notes": "Interested in the enterprise plan",
            "related_type": "account",
            "related_id": str(account.id),
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["phone_number"] == "+14155550100"
    assert body["has_recording"] is False
    assert body["owner_id"] == str(users.rep.id)
    assert body["started_at"] >= before.isoformat()[:19]
    for record_type, record_id in (("contact", contact.id), ("account", account.id)):
        t = client.get(
            "/api/v1/timeline",
            headers=users.rep.headers,
            params={"record_type": record_type, "record_id": str(record_id)},
        )
        assert "call.created" in [i["event"] for i in t.json()["items"]]


def test_a_recording_is_stored_0600_in_a_0700_folder(
    private_var: Path, client: Any, db: Any, users: Any
) -> None:
    call = make_call(db, users.rep.actor)
    db.commit()
    assert _upload(client, users.rep, call.id, MP3, "audio/mpeg").status_code == 200
    stored = private_var / "recordings" / f"{call.id}.mp3"
    assert stored.read_bytes() == MP3
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    for folder in (private_var, stored.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"subject": ""}, "subject"),
        ({"direction": "sideways"}, "direction"),
        ({"phone_number": "call me"}, "phone_number"),
        ({"duration_seconds": -1}, "duration_seconds"),
        ({"duration_seconds": 86_401}, "duration_seconds"),
        ({"outcome": "great"}, "outcome"),
        ({"started_at": "yesterday"}, "started_at"),
        ({"contact_id": "0" * 32}, "contact_id"),
        ({"related_type": "lead", "related_id": "0" * 32}, "related_id"),
        ({"recording_path": "/etc/passwd"}, "recording_path"),
    ],
)
def test_create_refuses_bad_input(client: Any, users: Any, change: Any, field: str) -> None:
    body = {"subject": "x", "direction": "inbound", **change}
    assert _field(client.post(URL, headers=users.rep.headers, json=body)) == field


def test_contact_must_be_readable(client: Any, db: Any, users: Any) -> None:
    hidden = make_contact(db, users.other_rep.actor)
    db.commit()
    r = client.post(
        URL,
        headers=users.rep.headers,
        json={"subject": "x", "direction": "inbound", "contact_id": str(hidden.id)},
    )
    assert _field(r) == "contact_id"
    call = make_call(db, users.rep.actor)
    db.commit()
    r = client.patch(
        f"{URL}/{call.id}", headers=users.rep.headers, json={"contact_id": str(hidden.id)}
    )
    assert _field(r) == "contact_id"
    r = client.patch(f"{URL}/{call.id}", headers=users.rep.headers, json={"subject": None})
    assert _field(r) == "subject"


def test_recording_upload_download_replace_delete(client: Any, db: Any, users: Any) -> None:
    call = make_call(db, users.rep.actor, started_at=utcnow() - timedelta(hours=1))
    db.commit()
    r = _upload(client, users.rep, call.id, MP3, "audio/mpeg")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["has_recording"] is True
    assert body["recording_size"] == len(MP3)
    assert body["recording_sha256"] == hashlib.sha256(MP3).hexdigest()
    assert body["recording_content_type"] == "audio/mpeg"
    stored = _recordings() / f"{call.id}.mp3"
    assert stored.read_bytes() == MP3
    assert not list(_recordings().glob(f".{call.id}*"))  # no temporary file left
    got = client.get(f"{URL}/{call.id}/recording", headers=users.rep.headers)
    assert got.status_code == 200
    assert got.content == MP3
    assert got.headers["content-type"] == "audio/mpeg"
    # replacing with another format: the old file goes once the change is committed
    wav = b"RIFF\x00\x00\x00\x00WAVE" + b"\x01" * 500
    r = _upload(client, users.rep, call.id, wav, "audio/x-wav")
    assert r.status_code == 200, r.text
    assert not stored.exists()
    assert (_recordings() / f"{call.id}.wav").read_bytes() == wav
    assert client.get(f"{URL}/{call.id}/recording", headers=users.rep.headers).content == wav
    uploads = select(Activity.id).where(
        Activity.record_id == call.id, Activity.event == "call.recording_uploaded"
    )
    assert len(db.scalars(uploads).all()) == 2
    # delete
    assert client.delete(f"{URL}/{call.id}/recording", headers=users.rep.headers).status_code == 204
    assert not (_recordings() / f"{call.id}.wav").exists()
    assert client.get(f"{URL}/{call.id}/recording", headers=users.rep.headers).status_code == 404
    assert (
        client.get(f"{URL}/{call.id}", headers=users.rep.headers).json()["has_recording"] is False
    )
    assert client.delete(f"{URL}/{call.id}/recording", headers=users.rep.headers).status_code == 404


@pytest.mark.parametrize("content_type", ["text/plain", "video/mp4", "application/octet-stream"])
def test_recording_must_be_audio(client: Any, db: Any, users: Any, content_type: str) -> None:
    call = make_call(db, users.rep.actor)
    db.commit()
    assert _field(_upload(client, users.rep, call.id, MP3, content_type), 415) == "file"
    assert not (_recordings() / f"{call.id}.mp3").exists()


@pytest.mark.parametrize(
    "content_type", ["audio/mpeg", "audio/wav", "audio/ogg", "audio/webm", "audio/mp4", "audio/m4a"]
)
def test_every_audio_type_is_accepted(client: Any, db: Any, users: Any, content_type: str) -> None:
    call = make_call(db, users.rep.actor)
    db.commit()
    r = _upload(client, users.rep, call.id, MP3, content_type)
    assert r.status_code == 200, r.text
    assert r.json()["recording_content_type"] == content_type


def test_empty_recording_is_refused(client: Any, db: Any, users: Any) -> None:
    call = make_call(db, users.rep.actor)
    db.commit()
    assert _field(_upload(client, users.rep, call.id, b"", "audio/mpeg")) == "file"


class Zeros(io.RawIOBase):
    """A file of ``size`` zero bytes that is never held in memory at once."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        return b"\x00" * n


def test_recording_over_100_mb_is_refused_while_streaming(client: Any, db: Any, users: Any) -> None:
    call = make_call(db, users.rep.actor)
    db.commit()
    r = _upload(client, users.rep, call.id, Zeros(MAX_RECORDING_BYTES + 1), "audio/wav")
    assert _field(r, 413) == "file"
    assert not list(_recordings().glob(f"*{call.id}*"))
    db.refresh(call)
    assert call.recording_path is None


def test_size_limit_keeps_the_previous_recording(db: Any, users: Any) -> None:
    call = make_call(db, users.rep.actor)
    service = CallService(db, users.rep.actor)
    service.upload_recording(call.id, io.BytesIO(MP3), "audio/mpeg")
    with pytest.raises(PayloadTooLarge):
        service.upload_recording(call.id, io.BytesIO(b"x" * 2048), "audio/mpeg", max_bytes=1024)
    assert call.recording_size == len(MP3)
    assert (_recordings() / f"{call.id}.mp3").read_bytes() == MP3
    assert not list(_recordings().glob(f".{call.id}*"))


def test_recording_access_follows_the_call(client: Any, db: Any, users: Any) -> None:
    account = make_account(db, users.rep.actor)
    call = make_call(
        db, SYSTEM, owner_id=users.teammate.id, related_type="account", related_id=account.id
    )
    CallService(db, SYSTEM).upload_recording(call.id, io.BytesIO(MP3), "audio/ogg")
    db.commit()
    # the rep reads the teammate's call on the rep's account, but may not change it
    assert client.get(f"{URL}/{call.id}/recording", headers=users.rep.headers).content == MP3
    assert _upload(client, users.rep, call.id, MP3, "audio/mpeg").status_code == 403
    assert client.delete(f"{URL}/{call.id}/recording", headers=users.rep.headers).status_code == 403
    # someone else's team sees nothing
    assert (
        client.get(f"{URL}/{call.id}/recording", headers=users.other_rep.headers).status_code == 404
    )
    assert _upload(client, users.other_rep, call.id, MP3, "audio/mpeg").status_code == 404
    assert _upload(client, users.manager, call.id, MP3, "audio/mpeg").status_code == 200
