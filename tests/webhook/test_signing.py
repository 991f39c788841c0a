"""Standard Webhooks signatures: the published test vector, tampering, tolerance, rotation."""

from __future__ import annotations

from nexa.webhook import service

# From the Standard Webhooks specification's reference libraries.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TS = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def headers(signature: str, ts: int = VECTOR_TS, msg_id: str = VECTOR_ID) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": signature}


def test_the_published_vector() -> None:
    assert service.sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TS, VECTOR_BODY) == VECTOR_SIGNATURE
    assert service.verify_signature(
        VECTOR_SECRET, headers(VECTOR_SIGNATURE), VECTOR_BODY, now=VECTOR_TS
    )


def test_tampering_is_detected() -> None:
    ok = headers(VECTOR_SIGNATURE)
    kw = {"now": float(VECTOR_TS)}
    assert not service.verify_signature(VECTOR_SECRET, ok, b'{"test": 2432232315}', **kw)
    assert not service.verify_signature(
        VECTOR_SECRET, headers(VECTOR_SIGNATURE, msg_id="msg_other"), VECTOR_BODY, **kw
    )
    assert not service.verify_signature(
        VECTOR_SECRET, headers(VECTOR_SIGNATURE, ts=VECTOR_TS + 1), VECTOR_BODY, **kw
    )
    other = service.generate_secret()
    assert not service.verify_signature(other, ok, VECTOR_BODY, **kw)
    assert not service.verify_signature(VECTOR_SECRET, {}, VECTOR_BODY, **kw)
    assert not service.verify_signature(VECTOR_SECRET, headers("v2,abc"), VECTOR_BODY, **kw)


def test_timestamp_tolerance() -> None:
    h = headers(VECTOR_SIGNATURE)
    assert not service.verify_signature(VECTOR_SECRET, h, VECTOR_BODY, now=VECTOR_TS + 301)
    assert service.verify_signature(VECTOR_SECRET, h, VECTOR_BODY, now=VECTOR_TS + 299)
    assert service.verify_signature(VECTOR_SECRET, h, VECTOR_BODY, tolerance_seconds=None)


def test_any_of_several_signatures_and_header_case() -> None:
    h = {
        "Webhook-Id": VECTOR_ID,
        "Webhook-Timestamp": str(VECTOR_TS),
        "Webhook-Signature": f"v1,bm90IGl0 {VECTOR_SIGNATURE}",
    }
    assert service.verify_signature(VECTOR_SECRET, h, VECTOR_BODY.decode(), now=VECTOR_TS)


def test_generated_secrets() -> None:
    secret = service.generate_secret()
    assert secret.startswith("whsec_") and len(secret) > 40
    assert secret != service.generate_secret()
