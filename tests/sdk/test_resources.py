"""The client's resources against a live server: CRUD, filters, pagination, ETags,
idempotency keys, errors carrying problem+json, and the async client."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal

import httpx
import pytest

from nexa_sdk import (
    AsyncClient,
    AuthenticationError,
    Client,
    F,
    NotFound,
    Page,
    PermissionDenied,
    PreconditionFailed,
    ValidationError,
)
from nexa_sdk import models as m
from tests.live.conftest import LiveServer

pytestmark = [pytest.mark.live, pytest.mark.sdk]


def test_lead_crud_round_trip(crm: Client) -> None:
    lead = crm.leads.create(first_name="Ada", last_name="Lovelace", email="ada@analytical.example")
    assert isinstance(lead, m.LeadOut)
    assert lead.full_name == "Ada Lovelace"
    assert crm.leads.get(lead.id).email == "ada@analytical.example"
    changed = crm.leads.update(lead, title="Countess")  # If-Match: the version read
    assert changed.title == "Countess" and changed.version == lead.version + 1
    crm.leads.delete(changed)
    with pytest.raises(NotFound) as caught:
        crm.leads.get(lead.id)
    assert caught.value.status == 404
    assert crm.leads.restore(lead.id).id == lead.id


def test_update_with_a_stale_record_is_precondition_failed(crm: Client) -> None:
    lead = crm.leads.create(last_name="Stale")
    crm.leads.update(lead, title="First")
    with pytest.raises(PreconditionFailed) as caught:
        crm.leads.update(lead, title="Second")  # lead still carries the old version
    assert caught.value.status == 412
    assert crm.leads.update(lead.id, title="Third").title == "Third"  # no precondition


def test_validation_error_carries_the_problem_fields(crm: Client) -> None:
    with pytest.raises(ValidationError) as caught:
        crm.leads.create(last_name="Bad", email="not-an-email")
    error = caught.value
    assert error.status == 422
    assert error.title == "Validation failed"
    assert error.type.startswith("https://")
    assert error.field == "email"
    assert error.errors and error.errors[0]["field"] == "email"
    assert "email" in str(error)


def test_unknown_fields_fail_before_the_request(crm: Client) -> None:
    import pydantic

    with pytest.raises(pydantic.ValidationError):
        crm.leads.create(last_name="Typo", emial="x@example.com")


def test_bad_filter_names_the_field(crm: Client) -> None:
    with pytest.raises(ValidationError) as caught:
        crm.deals.list(F.no_such_field == 1)
    assert caught.value.field == "filter"


def test_authentication_and_permission_errors(sdk_server: LiveServer) -> None:
    anonymous = Client(sdk_server.base_url, api_key="nx_wrong")
    with anonymous, pytest.raises(AuthenticationError) as caught:
        anonymous.leads.list()
    assert caught.value.status == 401
    reader = Client(sdk_server.base_url, api_key=sdk_server.tokens["read_only"])
    with reader, pytest.raises(PermissionDenied):
        reader.leads.create(last_name="Nope")


def test_create_sends_an_idempotency_key_and_a_replay_makes_one_record(crm: Client) -> None:
    first = crm.leads.create(last_name="Once", company="Idem", idempotency_key="sdk-idem-1")
    again = crm.leads.create(last_name="Once", company="Idem", idempotency_key="sdk-idem-1")
    assert again.id == first.id
    assert len(crm.leads.list(company="Idem").items) == 1


def test_filters_pages_and_iterate(crm: Client) -> None:
    for i in range(7):
        crm.deals.create(
            name=f"Filter deal {i}",
            amount=str(1000 * (i + 1)),
            stage="proposal" if i % 2 else "negotiation",
            close_date=date(2026, 11, 1 + i),
        )
    page = crm.deals.list(name__starts_with="Filter deal", limit=3, sort="amount")
    assert isinstance(page, Page) and len(page) == 3 and page.has_more
    assert [d.amount for d in page] == ["1000.00", "2000.00", "3000.00"]
    everything = list(crm.deals.iterate(name__starts_with="Filter deal", page_size=2))
    assert len(everything) == 7 and len({d.id for d in everything}) == 7

    # keyword filters, a range given as a period, and the builder say the same thing
    by_keywords = crm.deals.list(
        stage=["proposal"], amount__gte=3000, close_date_range="2026-Q4", name__contains="filter"
    )
    by_builder = crm.deals.list(
        F.stage.in_(["proposal"])
        & (F.amount >= 3000)
        & F.close_date.between(date(2026, 10, 1), "2026-12-31")
        & F.name.contains("filter")
    )
    assert {d.name for d in by_keywords} == {d.name for d in by_builder}
    assert {d.name for d in by_keywords} == {"Filter deal 3", "Filter deal 5"}
    assert all(Decimal(d.amount or 0) >= 3000 for d in by_keywords)


def test_fields_selection_returns_partial_records(crm: Client) -> None:
    crm.contacts.create(first_name="Grace", last_name="Hopper")
    page = crm.contacts.list(last_name="Hopper", fields=["last_name"])
    assert page.items[0].last_name == "Hopper"
    assert page.items[0].id is not None


def test_to_dataframe_without_pandas_says_how_to_install(crm: Client) -> None:
    try:
        import pandas  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("pandas is installed")
    with pytest.raises(ImportError, match=r"pip install 'nexa-sdk\[pandas\]'"):
        crm.leads.list(limit=2).to_dataframe()


def test_to_dataframe_with_pandas(crm: Client) -> None:
    pd = pytest.importorskip("pandas")
    crm.leads.create(last_name="Frame")
    frame = crm.leads.list(limit=5).to_dataframe()
    assert isinstance(frame, pd.DataFrame) and "last_name" in frame.columns


def test_every_namespace_answers(crm: Client, sdk_server: LiveServer) -> None:
    account = crm.accounts.create(name="Namespace Ltd")
    contact = crm.contacts.create(first_name="Nam", last_name="Space", account_id=account.id)
    assert crm.accounts.rollup(account).contacts == 1
    product = crm.products.create(
        name="Widget", sku="W-1", prices=[{"currency": "USD", "unit_price": "10.00"}]
    )
    assert crm.products.get(product.id).name == "Widget"
    deal = crm.deals.create(name="Namespace deal", account_id=account.id, amount="500")
    crm.deals.add_line_item(deal, product_id=product.id, quantity=2)
    assert len(crm.deals.line_items(deal)) == 1
    quote = crm.quotes.from_deal(deal)
    assert crm.quotes.get(quote.id).deal_id == deal.id
    assert isinstance(crm.orders.list(), Page)
    task = crm.tasks.create(title="Call back", related_type="contact", related_id=contact.id)
    assert crm.tasks.get(task).title == "Call back"
    assert isinstance(crm.tasks.mine("upcoming"), Page)
    meeting = crm.meetings.create(
        title="Kick-off", starts_at="2026-12-01T10:00:00Z", ends_at="2026-12-01T11:00:00Z"
    )
    assert "BEGIN:VCALENDAR" in crm.meetings.ics(meeting)
    call = crm.calls.create(subject="Intro call", direction="outbound")
    assert crm.calls.get(call).subject == "Intro call"
    note = crm.notes.create(body="Met at the fair", related_type="contact", related_id=contact.id)
    assert crm.notes.get(note).id == note.id
    users = list(crm.users.iterate())
    assert {u.role for u in users} >= {"admin", "sales_rep"}
    assert crm.users.me().email == "admin@live.example.com"
    assert crm.teams.list()[0].name == "Live team"
    assert crm.pipelines.list()[0].stages
    assert crm.routing.settings().bands
    assert crm.scoring.scorecard() is not None
    assert crm.deals.stage_history(deal)
    moved = crm.deals.move_stage(deal, "negotiation")
    assert moved.stage == "negotiation"
    assert crm.search("Namespace").items
    assert crm.timeline("deal", deal.id).items


def test_async_client_has_the_same_surface(sdk_server: LiveServer) -> None:
    async def scenario() -> list[str]:
        async with AsyncClient(sdk_server.base_url, api_key=sdk_server.tokens["admin"]) as crm:
            lead = await crm.leads.create(last_name="Async", company="Asyncio Ltd")
            score = await crm.leads.score(lead.id)
            assert score.lead_id == lead.id
            names = [lead.last_name async for lead in crm.leads.iterate(company="Asyncio Ltd")]
            page = await crm.leads.list(F.company == "Asyncio Ltd")
            assert [x.id for x in page] == [lead.id]
            return names

    # A thread of its own: in an xdist worker that also ran the browser tests, Playwright's
    # session-wide sync API keeps an event loop running in the main thread, where
    # asyncio.run() refuses to start.
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(asyncio.run, scenario()).result() == ["Async"]


def test_sync_and_async_clients_expose_the_same_methods() -> None:
    sync = Client("http://127.0.0.1:9", api_key="x")
    asynchronous = AsyncClient("http://127.0.0.1:9", api_key="x")
    for name, resource in vars(sync).items():
        if name.startswith("_") or not hasattr(resource, "_client"):
            continue
        twin = getattr(asynchronous, name)
        public = {n for n in dir(resource) if not n.startswith("_")}
        assert public == {n for n in dir(twin) if not n.startswith("_")}, name
    sync.close()


def test_http_client_can_be_given(sdk_server: LiveServer) -> None:
    with httpx.Client() as http:
        crm = Client(
            sdk_server.base_url + "/api/v1", api_key=sdk_server.tokens["admin"], http_client=http
        )
        assert crm.me().role == "admin"
        crm.close()
        assert not http.is_closed  # not ours to close


def test_webhooks_namespace_and_a_signed_delivery_verifies(
    crm: Client, sdk_server: LiveServer
) -> None:
    """The webhooks calls end to end: a receiver on loopback gets the server's ping, and
    verify_webhook accepts it with the secret from create (then not after a rotation)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from nexa_sdk import WebhookVerificationError, verify_webhook

    received: list[tuple[dict[str, str], bytes]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append((dict(self.headers), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert any(e.name.startswith("deal.") for e in crm.webhooks.event_types().items)
        assert crm.webhooks.update_settings(allowed_hosts=["127.0.0.1"]).allowed_hosts == [
            "127.0.0.1"
        ]
        assert crm.webhooks.settings().allowed_hosts == ["127.0.0.1"]
        url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
        hook = crm.webhooks.create(url, ["deal.*"], description="SDK test")
        assert hook.secret.startswith("whsec_")
        assert [w.id for w in crm.webhooks.list()] == [hook.id]
        assert crm.webhooks.update(hook.id, description="renamed").description == "renamed"
        assert crm.webhooks.get(hook.id).events == ["deal.*"]

        delivery = crm.webhooks.ping(hook.id)
        assert delivery.webhook_id == hook.id
        deliveries = crm.webhooks.deliveries(hook.id)
        assert [d.id for d in deliveries] == [delivery.id]
        assert received, "the ping was not delivered"
        headers, body = received[-1]
        payload = verify_webhook(hook.secret, headers, body)
        assert isinstance(payload, dict)
        assert headers["webhook-id"] == str(delivery.id)

        again = crm.webhooks.redeliver(hook.id, delivery.id)
        assert again.id == delivery.id
        rotated = crm.webhooks.rotate_secret(hook.id).secret
        assert rotated != hook.secret
        crm.webhooks.ping(hook.id)
        headers, body = received[-1]
        assert verify_webhook(rotated, headers, body) is not None
        with pytest.raises(WebhookVerificationError):
            verify_webhook(hook.secret, headers, body)  # the old secret no longer signs

        crm.webhooks.delete(hook.id)
        with pytest.raises(NotFound):
            crm.webhooks.get(hook.id)
    finally:
        server.shutdown()
        server.server_close()


def test_webhooks_are_for_admins(sdk_server: LiveServer) -> None:
    rep = Client(sdk_server.base_url, api_key=sdk_server.tokens["sales_rep"])
    with rep, pytest.raises(PermissionDenied):
        rep.webhooks.create("https://example.com/hook", ["deal.*"])


def test_the_deal_model_card_and_training_with_too_little_history(crm: Client) -> None:
    card = crm.deals.forecast_model()
    assert card.needed > card.closed_deals
    result = crm.deals.train_model()
    assert result.trained is False and result.message and result.needed > 0
