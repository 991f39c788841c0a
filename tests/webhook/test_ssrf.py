"""The outbound guard: internal addresses in every encoding, after resolution and after a
redirect, are refused before any socket to them is opened; the allow-list lets the loopback
receiver in on purpose; the connection goes to the address that was checked."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from nexa.core import outbound
from nexa.core.actor import SYSTEM
from nexa.core.errors import ValidationFailed
from nexa.webhook import service
from nexa.webhook.schemas import WebhookCreate
from tests.factories.lead import make_lead
from tests.webhook.conftest import (
    CONNECTIONS,
    FakeDNS,
    Pump,
    Receiver,
    allow,
    non_loopback_connections,
    register,
)

REFUSED = [
    "http://127.0.0.1/",
    "http://0177.0.0.1/",
    "http://2130706433/",
    "http://0x7f.1/",
    "http://0x7f000001/",
    "http://127.1/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::127.0.0.1]/",
    "http://[64:ff9b::7f00:1]/",  # NAT64
    "http://[2002:7f00:1::]/",  # 6to4
    "http://0.0.0.0/",
    "http://[::]/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",  # CGNAT
    "http://169.254.169.254/latest/meta-data/",
    "http://0xa9.0xfe.0xa9.0xfe/",  # metadata in hex
    "http://[fd00:ec2::254]/",
    "http://[fe80::1]/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://LOCALHOST.localdomain./",  # resolves (fake DNS) to loopback
    "http://internal.corp.test/",  # resolves to 10.0.0.1
    "http://mixed.test/",  # one public, one private address: refused
    "ftp://8.8.8.8/",
    "file:///etc/passwd",
    "http://user:secret@8.8.8.8/",
    "http://[fe80::1%25eth0]/",
]


@pytest.fixture(autouse=True)
def names(dns: FakeDNS) -> FakeDNS:
    dns.records.update(
        {
            "localhost.localdomain": ["127.0.0.1"],
            "internal.corp.test": ["10.0.0.1"],
            "mixed.test": ["93.184.216.34", "10.0.0.1"],
            "public.test": ["93.184.216.34"],
            "metadata.test": ["169.254.169.254"],
        }
    )
    return dns


@pytest.mark.parametrize("url", REFUSED)
def test_internal_urls_are_refused_without_a_socket(url: str) -> None:
    CONNECTIONS.clear()
    with pytest.raises(outbound.OutboundRefused) as refused:
        outbound.send("POST", url, content=b"{}")
    assert refused.value.field == "url"
    assert [c for c in CONNECTIONS if c[0] == "connect"] == []


def test_public_addresses_pass_the_check() -> None:
    for url, address in [
        ("https://public.test/hook", "93.184.216.34"),
        ("http://8.8.8.8/", "8.8.8.8"),
        ("http://134744072/", "8.8.8.8"),  # decimal: checked as the address it is
    ]:
        assert outbound.check_url(url).address == address


def test_the_allow_list_names_hosts_as_written() -> None:
    allowed = ["127.0.0.1", "internal.corp.test"]
    assert outbound.check_url("http://127.0.0.1:8080/x", allowed_hosts=allowed).allow_listed
    assert outbound.check_url("http://internal.corp.test/", allowed_hosts=allowed).address == (
        "10.0.0.1"
    )
    for disguised in (
        "http://0177.0.0.1:8080/",
        "http://2130706433/",
        "http://[::ffff:127.0.0.1]/",
    ):
        with pytest.raises(outbound.OutboundRefused):
            outbound.check_url(disguised, allowed_hosts=allowed)
    # metadata stays refused even when an admin lists it
    for url in ("http://169.254.169.254/", "http://metadata.test/"):
        host = url.split("/")[2]
        with pytest.raises(outbound.OutboundRefused):
            outbound.check_url(url, allowed_hosts=[host])


def test_registration_refuses_internal_urls_naming_url(db: Any) -> None:
    for url in ("http://127.0.0.1:9/", "http://0177.0.0.1/", "http://internal.corp.test/"):
        with pytest.raises(ValidationFailed) as refused:
            service.create_endpoint(db, SYSTEM, WebhookCreate(url=url, events=["*"]))
        assert refused.value.field == "url"
    # a name that does not resolve now is accepted; delivery checks again
    endpoint, _ = service.create_endpoint(
        db, SYSTEM, WebhookCreate(url="https://not-yet.example/hook", events=["*"])
    )
    assert endpoint.url == "https://not-yet.example/hook"


def test_loopback_receiver_refused_unless_allow_listed(
    db: Any, receiver: Receiver, pump: Pump
) -> None:
    allow(db, "127.0.0.1")
    endpoint = register(db, receiver.url, ["lead.created"])
    allow(db)  # the admin takes it off the list again
    make_lead(db)
    pump()
    (delivery,) = service.list_deliveries(db, SYSTEM, endpoint.id)
    assert delivery.status == "failed"
    assert (delivery.last_error or "").startswith("refused:")
    assert receiver.requests == []
    assert [c for c in CONNECTIONS if c[0] == "connect"] == []
    allow(db, "127.0.0.1")
    service.redeliver(db, SYSTEM, endpoint.id, delivery.id)
    pump()
    assert len(receiver.requests) == 1


def test_redirect_to_metadata_is_refused(db: Any, receiver: Receiver, pump: Pump) -> None:
    allow(db, "127.0.0.1")
    endpoint = register(db, receiver.url, ["lead.created"])
    receiver.mode = "redirect"
    make_lead(db)
    pump()
    (delivery,) = service.list_deliveries(db, SYSTEM, endpoint.id)
    assert delivery.status == "failed"
    assert "169.254.169.254" in (delivery.last_error or "")
    assert len(receiver.requests) == 1  # the loopback hop, then nothing
    connects = [c[1] for c in CONNECTIONS if c[0] == "connect"]
    assert connects and all(c[0] == "127.0.0.1" for c in connects)


def test_redirect_within_the_allow_list_is_followed(receiver: Receiver) -> None:
    receiver.mode = "redirect"
    receiver.redirect_to = "/landed"
    with pytest.raises(outbound.OutboundFailed, match="redirects"):
        outbound.send("POST", receiver.url, content=b"{}", allowed_hosts=["127.0.0.1"])
    assert len(receiver.requests) == 4  # the first call and three redirects
    assert [r.path for r in receiver.requests][1:] == ["/landed"] * 3


def test_a_name_resolving_to_private_is_refused_at_delivery(
    db: Any, receiver: Receiver, pump: Pump, names: FakeDNS
) -> None:
    names.records["hooks.partner.test"] = ["93.184.216.34"]
    endpoint = register(db, "http://hooks.partner.test/in", ["lead.created"])
    names.records["hooks.partner.test"] = ["10.0.0.1"]  # DNS changed after registration
    make_lead(db)
    pump()
    (delivery,) = service.list_deliveries(db, SYSTEM, endpoint.id)
    assert delivery.status == "failed" and "10.0.0.1" in (delivery.last_error or "")
    assert [c for c in CONNECTIONS if c[0] == "connect"] == []


def test_the_connection_goes_to_the_checked_address(receiver: Receiver, names: FakeDNS) -> None:
    """An allow-listed name is resolved once (by the guard); the socket connects to that
    address, and the Host header keeps the name."""
    names.records["receiver.test"] = ["127.0.0.1"]
    url = f"http://receiver.test:{receiver.port}/named"
    response = outbound.send("POST", url, content=b"{}", allowed_hosts=["receiver.test"])
    assert response.status_code == 204
    (request,) = receiver.requests
    assert request.headers["host"] == f"receiver.test:{receiver.port}"
    assert names.asked == ["receiver.test"]
    lookups = [c[1] for c in CONNECTIONS if c[0] == "getaddrinfo"]
    assert "receiver.test" not in lookups  # no second (system) lookup: no DNS rebinding


def test_the_audit_sees_every_connection(receiver: Receiver) -> None:
    """The audit hook the fixtures rely on does record connections (so its silence means
    something), and would flag one outside loopback."""
    CONNECTIONS.clear()
    outbound.send("POST", receiver.url, content=b"{}", allowed_hosts=["127.0.0.1"])
    assert ("connect", ("127.0.0.1", receiver.port)) in CONNECTIONS
    sys.audit("socket.connect", None, ("10.0.0.1", 80))  # an event only, no socket
    assert non_loopback_connections() == [("10.0.0.1", 80)]
    CONNECTIONS.clear()


def test_the_test_suite_never_sends_beyond_loopback() -> None:
    """NEXA_OUTBOUND_LOOPBACK_ONLY (set for every test, live servers included): a public
    address that passes the guard is still refused before a socket is opened, so fuzzing
    that registers webhooks with generated URLs cannot reach the internet."""
    from nexa.config import get_settings

    assert get_settings().outbound_loopback_only
    CONNECTIONS.clear()
    for url in ("https://public.test/hook", "http://8.8.8.8/", "http://134744072/"):
        with pytest.raises(outbound.OutboundRefused, match="loopback"):
            outbound.send("POST", url, content=b"{}")
    assert [c for c in CONNECTIONS if c[0] == "connect"] == []
