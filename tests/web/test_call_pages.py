"""The call page's recording: upload (multipart, CSRF in the form), player and download,
delete; non-audio refused; team privacy; the body limit; the page's query count."""

from __future__ import annotations

import io
import wave
from typing import Any

import pytest
from starlette.requests import Request

from nexa.call.service import MAX_RECORDING_BYTES, PayloadTooLarge
from nexa.models import Call
from nexa.web.call.routes import limit_body
from tests.factories.call import make_call
from tests.web.conftest import count_queries, sign_in


def small_wav() -> bytes:
    """A few hundred bytes of silence as a valid WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(8000)
        out.writeframes(bytes([128]) * 400)
    return buffer.getvalue()


def upload(client: Any, call_id: Any, csrf: str | None, name: str, data: bytes, kind: str) -> Any:
    form = {"csrf_token": csrf} if csrf else {}
    return client.post(
        f"/calls/{call_id}/recording",
        data=form,
        files={"file": (name, data, kind)},
        follow_redirects=False,
    )


def reload(db: Any, call_id: Any) -> Call:
    call = db.get(Call, call_id)
    db.refresh(call)
    return call


def test_upload_play_download_and_delete(client: Any, db: Any, users: Any) -> None:
    call = make_call(db, users.rep.actor, subject="Discovery call")
    db.commit()
    csrf = sign_in(client, users.rep)
    page = client.get(f"/calls/{call.id}").text
    assert "No recording yet." in page and 'enctype="multipart/form-data"' in page
    assert 'name="file"' in page and 'accept="audio/' in page

    audio = small_wav()
    assert 100 < len(audio) < 1000
    r = upload(client, call.id, csrf, "call.wav", audio, "audio/wav")
    assert r.status_code == 303, r.text[:500]
    stored = reload(db, call.id)
    assert stored.recording_size == len(audio) and stored.recording_content_type == "audio/wav"

    page = client.get(f"/calls/{call.id}").text
    assert "Recording uploaded" in page
    assert f'<audio controls preload="metadata" src="/calls/{call.id}/recording"' in page
    assert f'href="/calls/{call.id}/recording?download=1"' in page

    r = client.get(f"/calls/{call.id}/recording")
    assert r.status_code == 200 and r.content == audio
    assert r.headers["content-type"].startswith("audio/wav")
    assert r.headers["content-disposition"].startswith("inline")
    r = client.get(f"/calls/{call.id}/recording?download=1")
    assert r.content == audio and r.headers["content-disposition"].startswith("attachment")

    r = client.post(
        f"/calls/{call.id}/recording/delete", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert r.status_code == 303, r.text[:500]
    assert reload(db, call.id).recording_path is None
    assert client.get(f"/calls/{call.id}/recording").status_code == 404
    # nothing left to delete: said on the page
    r = client.post(
        f"/calls/{call.id}/recording/delete", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert r.status_code == 404
    assert 'data-testid="recording-error">this call has no recording<' in r.text


def test_a_file_that_is_not_audio_is_refused(client: Any, db: Any, users: Any) -> None:
    call = make_call(db, users.rep.actor)
    db.commit()
    csrf = sign_in(client, users.rep)
    r = upload(client, call.id, csrf, "notes.txt", b"not a recording", "text/plain")
    assert r.status_code == 415
    assert 'data-testid="recording-error">a recording must be audio' in r.text
    assert reload(db, call.id).recording_path is None
    r = upload(client, call.id, csrf, "empty.wav", b"", "audio/wav")
    assert r.status_code == 422 and "the file is empty" in r.text


def test_the_form_token_is_checked_on_a_multipart_post(client: Any, db: Any, users: Any) -> None:
    call = make_call(db, users.rep.actor)
    db.commit()
    sign_in(client, users.rep)
    r = upload(client, call.id, None, "call.wav", small_wav(), "audio/wav")
    assert r.status_code == 403 and "did not come from this site" in r.text
    r = upload(client, call.id, "forged", "call.wav", small_wav(), "audio/wav")
    assert r.status_code == 403
    assert reload(db, call.id).recording_path is None


def test_a_rep_cannot_touch_another_teams_call(client: Any, db: Any, users: Any) -> None:
    call = make_call(db, users.other_rep.actor)
    db.commit()
    csrf = sign_in(client, users.rep)
    assert client.get(f"/calls/{call.id}").status_code == 404
    r = upload(client, call.id, csrf, "call.wav", small_wav(), "audio/wav")
    assert r.status_code == 404
    assert reload(db, call.id).recording_path is None


def test_an_announced_body_over_the_limit_is_refused_before_reading() -> None:
    def request(length: int) -> Request:
        headers = [(b"content-length", str(length).encode())]
        return Request({"type": "http", "method": "POST", "headers": headers})

    limit_body(request(1000))
    with pytest.raises(PayloadTooLarge):
        limit_body(request(MAX_RECORDING_BYTES + 10 * 1024 * 1024))


def test_query_count_with_and_without_a_recording(client: Any, db: Any, users: Any) -> None:
    plain = make_call(db, users.rep.actor)
    recorded = make_call(db, users.rep.actor)
    db.commit()
    csrf = sign_in(client, users.rep)
    assert upload(client, recorded.id, csrf, "a.wav", small_wav(), "audio/wav").status_code == 303

    def counted(call: Call) -> int:
        db.info.pop("web_choices", None)
        client.get(f"/calls/{call.id}")
        with count_queries() as statements:
            assert client.get(f"/calls/{call.id}").status_code == 200
        return len(statements)

    assert counted(plain) == counted(recorded)
