"""The asynchronous client and its resources: the one definition both clients share.

sdk/tools/unasync.py writes _sync_client.py from this file (``async def`` → ``def``,
``await`` dropped, ``AsyncX`` → ``X``, ``asyncio.sleep`` → ``time.sleep``): edit this file
and regenerate, never the other. Every HTTP call goes through ``self._client.call``,
``.send`` or ``.page`` with a literal method and path, which tests/sdk/test_routes.py checks
against the server's OpenAPI document.
"""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Generic, Literal, TypeVar, overload
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from nexa_sdk import models as m
from nexa_sdk._base import (
    DEFAULT_TIMEOUT,
    ID,
    RetryPolicy,
    api_base,
    base_headers,
    body_of,
    etag,
    id_of,
    list_params,
    log,
    may_retry,
    new_idempotency_key,
    parse,
    parse_partial,
    retry_wait,
    timeout_of,
)
from nexa_sdk.errors import APIError, ConnectionError, TimeoutError
from nexa_sdk.filters import FilterLike, build
from nexa_sdk.insights import Customer360, DealPrediction, ForecastModel, PipelineForecast
from nexa_sdk.pagination import Page

M = TypeVar("M", bound=BaseModel)
OutT = TypeVar("OutT", bound=BaseModel)
_list = builtins.list  # resources define a method called list
Body = BaseModel | Mapping[str, Any] | None
Fields = Sequence[str] | str | None


class AsyncClient:
    """A Nexa CRM API client: ``AsyncClient("https://crm.example.com", api_key="nx_…")``.

    Resources: leads, contacts, accounts, deals, products, quotes, orders, tasks, meetings,
    calls, notes, lists, users, teams, pipelines, routing, scoring, webhooks, customers,
    emails.
    ``timeout`` is seconds (or an ``httpx.Timeout``); ``retry`` a RetryPolicy
    (``RetryPolicy(max_retries=0)`` turns retries off).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = api_base(base_url)
        self.retry = retry or RetryPolicy()
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=timeout_of(timeout))
        self._headers = base_headers(api_key, headers)
        self.leads = AsyncLeads(self)
        self.contacts = AsyncContacts(self)
        self.accounts = AsyncAccounts(self)
        self.deals = AsyncDeals(self)
        self.products = AsyncProducts(self)
        self.quotes = AsyncQuotes(self)
        self.orders = AsyncOrders(self)
        self.tasks = AsyncTasks(self)
        self.meetings = AsyncMeetings(self)
        self.calls = AsyncCalls(self)
        self.notes = AsyncNotes(self)
        self.lists = AsyncLists(self)
        self.users = AsyncUsers(self)
        self.teams = AsyncTeams(self)
        self.pipelines = AsyncPipelines(self)
        self.routing = AsyncRouting(self)
        self.scoring = AsyncScoring(self)
        self.webhooks = AsyncWebhooks(self)
        self.customers = AsyncCustomers(self)
        self.emails = AsyncEmails(self)
        self.campaigns = AsyncCampaigns(self)

    # ---- plumbing ------------------------------------------------------------------------
    async def send(
        self,
        method: str,
        path: str,
        *,
        params: Sequence[tuple[str, str]] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One API request with retries; an error status raises the matching APIError."""
        all_headers = {**self._headers, **(headers or {})}
        retryable = may_retry(method, all_headers)
        url = self.base_url + path
        attempt = 0
        while True:
            try:
                response = await self._http.request(
                    method,
                    url,
                    params=_list(params) if params is not None else None,
                    json=json,
                    headers=all_headers,
                )
            except httpx.TransportError as exc:
                if retryable and attempt < self.retry.max_retries:
                    attempt += 1
                    wait = self.retry.delay(attempt)
                    log.warning("%s %s: %s; retry %d in %.2f s", method, path, exc, attempt, wait)
                    await asyncio.sleep(wait)
                    continue
                if isinstance(exc, httpx.TimeoutException):
                    raise TimeoutError(f"{method} {url}: no answer in time ({exc})") from exc
                raise ConnectionError(f"{method} {url}: {exc}") from exc
            if (
                response.status_code in self.retry.statuses
                and retryable
                and attempt < self.retry.max_retries
            ):
                backoff = retry_wait(self.retry, attempt + 1, response)
                if backoff is not None:
                    attempt += 1
                    log.warning(
                        "%s %s: %d; retry %d in %.2f s",
                        method,
                        path,
                        response.status_code,
                        attempt,
                        backoff,
                    )
                    await asyncio.sleep(backoff)
                    continue
            if response.is_error:
                raise APIError.from_response(response)
            return response

    async def call(
        self,
        model: type[M],
        method: str,
        path: str,
        *,
        params: Sequence[tuple[str, str]] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> M:
        """A request whose answer is one ``model``."""
        response = await self.send(method, path, params=params, json=json, headers=headers)
        return parse(model, response.json())

    async def call_list(
        self,
        model: type[M],
        method: str,
        path: str,
        *,
        params: Sequence[tuple[str, str]] | None = None,
    ) -> _list[M]:
        """A request whose answer is a JSON array of ``model``."""
        response = await self.send(method, path, params=params)
        return [parse(model, item) for item in response.json()]

    async def page(
        self,
        model: type[M],
        method: Literal["GET"],
        path: str,
        params: Sequence[tuple[str, str]],
        *,
        partial: bool = False,
    ) -> Page[M]:
        """A list envelope ``{"items": [...], "next_cursor": ...}`` as a Page of ``model``."""
        body = (await self.send(method, path, params=params)).json()
        convert = parse_partial if partial else parse
        return Page([convert(model, item) for item in body["items"]], body.get("next_cursor"))

    async def search(
        self, q: str, *, types: Sequence[str] | None = None, limit: int | None = None
    ) -> m.SearchResults:
        """Search every record type you may read."""
        extra = {"q": q, "types": ",".join(types) if types else None, "limit": limit}
        params = list_params([], sort=None, cursor=None, limit=None, fields=None, extra=extra)
        return await self.call(m.SearchResults, "GET", "/search", params=params)

    async def timeline(
        self,
        record_type: str,
        record_id: ID,
        *,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> Page[m.TimelineEntryOut]:
        """The history of a record (changes, activities, emails), newest first."""
        extra = {"record_type": record_type, "record_id": id_of(record_id)}
        params = list_params([], sort=None, cursor=cursor, limit=limit, fields=None, extra=extra)
        return await self.page(m.TimelineEntryOut, "GET", "/timeline", params)

    async def me(self) -> m.MeOut:
        """The user the API key belongs to."""
        return await self.call(m.MeOut, "GET", "/me")

    async def close(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class AsyncResource:
    def __init__(self, client: AsyncClient) -> None:
        self._client = client


# ---- generic record operations ---------------------------------------------------------------
class AsyncListing(AsyncResource, Generic[OutT]):
    """``list`` (one page) and ``iterate`` (every page) with filters."""

    path: str
    out_model: type[OutT]

    async def list(
        self,
        *filters: FilterLike,
        sort: str | None = None,
        cursor: str | None = None,
        limit: int | None = None,
        fields: Fields = None,
        deleted: bool = False,
        **where: Any,
    ) -> Page[OutT]:
        """One page of records. Filters: ``F`` expressions or keyword arguments
        (``stage=["proposal", "negotiation"]``, ``amount__gte=1000``,
        ``close_date_range="2026-Q4"``); ``sort="-amount"``; ``fields=`` to fetch only some
        (the records are then not validated); ``deleted=True`` lists the bin."""
        params = list_params(
            build(filters, where),
            sort=sort,
            cursor=cursor,
            limit=limit,
            fields=fields,
            deleted=deleted,
        )
        return await self._client.page(
            self.out_model, "GET", self.path, params, partial=bool(fields)
        )

    async def iterate(
        self,
        *filters: FilterLike,
        sort: str | None = None,
        page_size: int = 200,
        fields: Fields = None,
        deleted: bool = False,
        **where: Any,
    ) -> AsyncIterator[OutT]:
        """Every matching record, page after page (``for deal in crm.deals.iterate(...)``)."""
        cursor: str | None = None
        while True:
            page = await self.list(
                *filters,
                sort=sort,
                cursor=cursor,
                limit=page_size,
                fields=fields,
                deleted=deleted,
                **where,
            )
            for item in page.items:
                yield item
            if not page.next_cursor:
                return
            cursor = page.next_cursor


class AsyncGetting(AsyncResource, Generic[OutT]):
    path: str
    out_model: type[OutT]

    async def get(self, record: ID) -> OutT:
        return await self._client.call(self.out_model, "GET", f"{self.path}/{id_of(record)}")


class AsyncCreating(AsyncResource, Generic[OutT]):
    path: str
    out_model: type[OutT]
    create_model: type[BaseModel] | None = None

    async def create(
        self, data: Body = None, /, *, idempotency_key: str | None = None, **fields: Any
    ) -> OutT:
        """Create a record from a model, a dict and/or keyword arguments. An Idempotency-Key
        is sent (a fresh one unless given), so a retried create never makes two records."""
        headers = {"Idempotency-Key": idempotency_key or new_idempotency_key()}
        return await self._client.call(
            self.out_model,
            "POST",
            self.path,
            json=body_of(self.create_model, data, fields),
            headers=headers,
        )


class AsyncUpdating(AsyncResource, Generic[OutT]):
    path: str
    out_model: type[OutT]
    update_model: type[BaseModel] | None = None

    async def update(
        self,
        record: ID,
        data: Body = None,
        /,
        *,
        if_match: int | str | None = None,
        **fields: Any,
    ) -> OutT:
        """Change the fields given. Pass the record you read (not just its id) and the
        change only applies if nobody changed it since (If-Match: its version); otherwise
        PreconditionFailed. ``if_match`` sets the version (or ETag) explicitly."""
        return await self._client.call(
            self.out_model,
            "PATCH",
            f"{self.path}/{id_of(record)}",
            json=body_of(self.update_model, data, fields),
            headers=_if_match(if_match, record),
        )


class AsyncDeleting(AsyncResource, Generic[OutT]):
    path: str
    out_model: type[OutT]

    async def delete(self, record: ID, *, if_match: int | str | None = None) -> None:
        """Move the record to the bin (``restore`` brings it back)."""
        await self._client.send(
            "DELETE", f"{self.path}/{id_of(record)}", headers=_if_match(if_match, record)
        )

    async def restore(self, record: ID) -> OutT:
        return await self._client.call(
            self.out_model, "POST", f"{self.path}/{id_of(record)}/restore"
        )


class AsyncSubscribable(AsyncResource):
    """Email consent of a contact or lead: its status per subscription type (marketing,
    newsletter, product)."""

    path: str

    async def subscriptions(self, record: ID) -> m.SubscriptionList:
        return await self._client.call(
            m.SubscriptionList, "GET", f"{self.path}/{id_of(record)}/subscriptions"
        )

    async def set_subscriptions(
        self, record: ID, items: _list[dict[str, Any]]
    ) -> m.SubscriptionList:
        """Set the status of the types given, e.g. ``[{"type": "newsletter", "status":
        "subscribed", "source": "form"}]``; the other types keep theirs."""
        return await self._client.call(
            m.SubscriptionList,
            "PUT",
            f"{self.path}/{id_of(record)}/subscriptions",
            json=body_of(m.SubscriptionsIn, {"items": items}, {}),
        )


class AsyncCrud(
    AsyncListing[OutT],
    AsyncGetting[OutT],
    AsyncCreating[OutT],
    AsyncUpdating[OutT],
    AsyncDeleting[OutT],
):
    """list, iterate, get, create, update, delete, restore."""


def _if_match(if_match: int | str | None, record: ID) -> dict[str, str]:
    value = etag(if_match, record)
    return {"If-Match": value} if value else {}


def _q(segment: str) -> str:
    return quote(segment, safe="")


# ---- the resources ---------------------------------------------------------------------------
class AsyncLeads(AsyncCrud[m.LeadOut], AsyncSubscribable):
    """Leads, their score, next best actions, routing, enrichment and conversion."""

    path = "/leads"
    out_model = m.LeadOut
    create_model = m.LeadCreate
    update_model = m.LeadUpdate

    async def score(self, lead: ID) -> m.LeadScoreOut:
        """The lead's score (0-100), band, factors and history."""
        return await self._client.call(m.LeadScoreOut, "GET", f"/leads/{id_of(lead)}/score")

    @overload
    async def next_best_action(self, lead: ID) -> m.NextActionList: ...

    @overload
    async def next_best_action(
        self,
        lead: ID,
        *,
        response: Mapping[str, Any],
        previous_touches: Iterable[Any] = (),
    ) -> m.NextBestActionOut: ...

    async def next_best_action(
        self,
        lead: ID,
        *,
        response: Mapping[str, Any] | None = None,
        previous_touches: Iterable[Any] = (),
    ) -> m.NextActionList | m.NextBestActionOut:
        """Suggested next steps for the lead, most urgent first; with ``response`` (Use Case
        4's context: ``{"kind": "replied", "channel": "email", "text": "…"}``) the one action
        that response calls for (``next_best_action_for``)."""
        if response is not None:
            return await self.next_best_action_for(
                lead, response=response, previous_touches=previous_touches
            )
        return await self._client.call(
            m.NextActionList, "GET", f"/leads/{id_of(lead)}/next-actions"
        )

    async def touch_history(self, lead: ID) -> m.TouchHistory:
        """Every campaign touch of the lead, newest first: sent, opened, clicked, replied,
        bounced, unsubscribed, goal (campaign, step, channel, when)."""
        return await self._client.call(m.TouchHistory, "GET", f"/leads/{id_of(lead)}/touch-history")

    async def next_best_action_for(
        self,
        lead: ID,
        *,
        response: Mapping[str, Any],
        previous_touches: Iterable[Any] = (),
    ) -> m.NextBestActionOut:
        """Use Case 4's ``handleResponse``: the one action a response calls for —
        ``response={"kind": "replied", "channel": "email", "text": "…"}`` — with
        ``params`` saying how to carry it out, and the usual suggestions as alternatives.
        ``previous_touches``: the lead's touch history (counted by kind)."""
        touches = [
            t.model_dump(mode="json") if isinstance(t, BaseModel) else dict(t)
            for t in previous_touches
        ]
        body = {"response": dict(response), "previous_touches": touches}
        return await self._client.call(
            m.NextBestActionOut, "POST", f"/leads/{id_of(lead)}/next-best-action", json=body
        )

    async def create_task_for_action(self, lead: ID, action_key: str) -> m.TaskOut:
        """Turn a suggested next action into a task (one click in the UI)."""
        return await self._client.call(
            m.TaskOut, "POST", f"/leads/{id_of(lead)}/next-actions/{_q(action_key)}/task"
        )

    async def route(self, lead: ID) -> m.RoutingResult:
        """Route the lead again by today's routing settings: the assignee of its score
        band and segment (top performer, round robin or the SDR queue), its priority and a
        fresh SLA clock; below the nurture threshold it joins the Nurture list."""
        return await self._client.call(
            m.RoutingResult, "POST", f"/routing/leads/{id_of(lead)}/route"
        )

    async def assign(
        self, lead: ID, owner_id: ID | None, *, if_match: int | str | None = None
    ) -> m.LeadOut:
        """Hand the lead to a user (``None``: unassign). The API has no separate assign
        call: this is ``update(lead, owner_id=...)``; priority and SLA come from routing."""
        owner = id_of(owner_id) if owner_id is not None else None
        return await self.update(lead, owner_id=owner, if_match=if_match)

    async def enrichment(self, lead: ID) -> m.LeadEnrichment:
        return await self._client.call(m.LeadEnrichment, "GET", f"/leads/{id_of(lead)}/enrichment")

    async def enrich(self, lead: ID) -> m.LeadEnrichment:
        """Run enrichment again (email kind, company, phone, seniority, account match)."""
        return await self._client.call(m.LeadEnrichment, "POST", f"/leads/{id_of(lead)}/enrich")

    async def duplicates(
        self,
        *,
        email: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        company: str | None = None,
    ) -> m.DuplicateList:
        extra = {"email": email, "first_name": first_name, "last_name": last_name}
        extra["company"] = company
        params = list_params([], sort=None, cursor=None, limit=None, fields=None, extra=extra)
        return await self._client.call(m.DuplicateList, "GET", "/leads/duplicates", params=params)

    async def convert_preview(
        self, lead: ID, data: Body = None, **fields: Any
    ) -> m.ConversionPreview:
        return await self._client.call(
            m.ConversionPreview,
            "POST",
            f"/leads/{id_of(lead)}/convert/preview",
            json=body_of(m.LeadConvert, data, fields),
        )

    async def convert(self, lead: ID, data: Body = None, **fields: Any) -> m.ConversionOut:
        """Convert the lead into a contact, an account and (optionally) a deal."""
        return await self._client.call(
            m.ConversionOut,
            "POST",
            f"/leads/{id_of(lead)}/convert",
            json=body_of(m.LeadConvert, data, fields),
        )


class AsyncContacts(AsyncCrud[m.ContactOut], AsyncSubscribable):
    path = "/contacts"
    out_model = m.ContactOut
    create_model = m.ContactCreate
    update_model = m.ContactUpdate

    async def next_best_action(self, contact: ID) -> m.NextActionList:
        return await self._client.call(
            m.NextActionList, "GET", f"/contacts/{id_of(contact)}/next-actions"
        )

    async def touch_history(self, contact: ID) -> m.TouchHistory:
        """Every campaign touch of the contact (and of the lead it came from), newest first."""
        return await self._client.call(
            m.TouchHistory, "GET", f"/contacts/{id_of(contact)}/touch-history"
        )

    async def create_task_for_action(self, contact: ID, action_key: str) -> m.TaskOut:
        return await self._client.call(
            m.TaskOut, "POST", f"/contacts/{id_of(contact)}/next-actions/{_q(action_key)}/task"
        )

    async def direct_reports(
        self, contact: ID, *, cursor: str | None = None, limit: int | None = None
    ) -> Page[m.ContactOut]:
        params = list_params([], sort=None, cursor=cursor, limit=limit, fields=None)
        return await self._client.page(
            m.ContactOut, "GET", f"/contacts/{id_of(contact)}/reports", params
        )


class AsyncAccounts(AsyncCrud[m.AccountOut]):
    path = "/accounts"
    out_model = m.AccountOut
    create_model = m.AccountCreate
    update_model = m.AccountUpdate

    async def rollup(self, account: ID) -> m.AccountRollup:
        """Contacts, employees, revenue and deal totals of the account and its children."""
        return await self._client.call(m.AccountRollup, "GET", f"/accounts/{id_of(account)}/rollup")

    async def tree(self, account: ID) -> m.AccountTreeNode:
        return await self._client.call(m.AccountTreeNode, "GET", f"/accounts/{id_of(account)}/tree")


class AsyncDeals(AsyncCrud[m.DealOut]):
    """Deals, stages, line items, predictions and the pipeline forecast."""

    path = "/deals"
    out_model = m.DealOut
    create_model = m.DealCreate
    update_model = m.DealUpdate

    async def predict(self, deal_id: ID) -> DealPrediction:
        """The deal's win probability, factors, risks and predicted close date (as stored)."""
        return await self._client.call(DealPrediction, "GET", f"/deals/{id_of(deal_id)}/prediction")

    async def predict_pipeline(
        self,
        period: str | None = None,
        *,
        start: date | None = None,
        end: date | None = None,
        simulations: int | None = None,
        seed: int | None = None,
    ) -> PipelineForecast:
        """The forecast of a period (``2026-Q4``, ``2026-11``, ``2026``; or start and end;
        default this quarter) over the open deals you may read."""
        extra: dict[str, Any] = {"period": period, "start": start, "end": end}
        extra.update(simulations=simulations, seed=seed)
        params = list_params([], sort=None, cursor=None, limit=None, fields=None, extra=extra)
        return await self._client.call(PipelineForecast, "GET", "/forecast", params=params)

    async def forecast_model(self) -> ForecastModel:
        """The active deal win model's card (cold start until enough deals have closed)."""
        return await self._client.call(ForecastModel, "GET", "/forecast/model")

    async def train_model(self) -> m.ForecastTraining:
        """Admins: train the deal win model on the closed deals now (``trained`` false, with
        the reason, while there are too few)."""
        return await self._client.call(m.ForecastTraining, "POST", "/forecast/train")

    async def next_best_action(self, deal: ID) -> m.NextActionList:
        return await self._client.call(
            m.NextActionList, "GET", f"/deals/{id_of(deal)}/next-actions"
        )

    async def create_task_for_action(self, deal: ID, action_key: str) -> m.TaskOut:
        return await self._client.call(
            m.TaskOut, "POST", f"/deals/{id_of(deal)}/next-actions/{_q(action_key)}/task"
        )

    async def move_stage(
        self,
        deal: ID,
        stage: str,
        *,
        lost_reason: str | None = None,
        probability: int | None = None,
    ) -> m.DealOut:
        body = {"stage": stage, "lost_reason": lost_reason, "probability": probability}
        payload = body_of(m.StageMove, {k: v for k, v in body.items() if v is not None}, {})
        return await self._client.call(
            m.DealOut, "POST", f"/deals/{id_of(deal)}/stage", json=payload
        )

    async def stage_history(self, deal: ID) -> _list[m.StageChangeOut]:
        return await self._client.call_list(
            m.StageChangeOut, "GET", f"/deals/{id_of(deal)}/stage-history"
        )

    async def line_items(self, deal: ID) -> _list[m.DealLineItemOut]:
        return await self._client.call_list(
            m.DealLineItemOut, "GET", f"/deals/{id_of(deal)}/line-items"
        )

    async def add_line_item(self, deal: ID, data: Body = None, **fields: Any) -> m.DealLineItemOut:
        return await self._client.call(
            m.DealLineItemOut,
            "POST",
            f"/deals/{id_of(deal)}/line-items",
            json=body_of(m.LineItemCreate, data, fields),
        )

    async def pipeline_report(
        self,
        *,
        pipeline_id: ID | None = None,
        owner_id: ID | None = None,
        close_from: date | None = None,
        close_to: date | None = None,
    ) -> m.PipelineReport:
        """Open deals per stage: counts, amounts, weighted amounts."""
        extra: dict[str, Any] = {"close_from": close_from, "close_to": close_to}
        extra["pipeline_id"] = id_of(pipeline_id) if pipeline_id else None
        extra["owner_id"] = id_of(owner_id) if owner_id else None
        params = list_params([], sort=None, cursor=None, limit=None, fields=None, extra=extra)
        return await self._client.call(m.PipelineReport, "GET", "/deals/pipeline", params=params)


class AsyncProducts(AsyncCrud[m.ProductOut]):
    path = "/products"
    out_model = m.ProductOut
    create_model = m.ProductCreate
    update_model = m.ProductUpdate

    async def price(self, product: ID, currency: str | None = None) -> m.ProductPriceOut:
        params = list_params(
            [], sort=None, cursor=None, limit=None, fields=None, extra={"currency": currency}
        )
        return await self._client.call(
            m.ProductPriceOut, "GET", f"/products/{id_of(product)}/price", params=params
        )


class AsyncQuotes(AsyncCrud[m.QuoteOut]):
    path = "/quotes"
    out_model = m.QuoteOut
    create_model = m.QuoteCreate
    update_model = m.QuoteUpdate

    async def from_deal(self, deal: ID) -> m.QuoteOut:
        """A draft quote with the deal's line items."""
        return await self._client.call(m.QuoteOut, "POST", f"/quotes/from-deal/{id_of(deal)}")

    async def send_quote(self, quote: ID) -> m.QuoteOut:
        return await self._client.call(m.QuoteOut, "POST", f"/quotes/{id_of(quote)}/send")

    async def accept(self, quote: ID) -> m.AcceptOut:
        return await self._client.call(m.AcceptOut, "POST", f"/quotes/{id_of(quote)}/accept")

    async def decline(self, quote: ID, reason: str | None = None) -> m.QuoteOut:
        body = body_of(m.QuoteDecline, {"reason": reason} if reason else {}, {})
        return await self._client.call(
            m.QuoteOut, "POST", f"/quotes/{id_of(quote)}/decline", json=body
        )

    async def revise(self, quote: ID) -> m.QuoteOut:
        return await self._client.call(m.QuoteOut, "POST", f"/quotes/{id_of(quote)}/revise")

    async def pdf(self, quote: ID) -> bytes:
        response = await self._client.send("GET", f"/quotes/{id_of(quote)}/pdf")
        return response.content


class AsyncOrders(
    AsyncListing[m.OrderOut],
    AsyncGetting[m.OrderOut],
    AsyncUpdating[m.OrderOut],
    AsyncDeleting[m.OrderOut],
):
    """Orders are made from won deals or accepted quotes, never directly."""

    path = "/orders"
    out_model = m.OrderOut
    update_model = m.OrderUpdate

    async def from_deal(self, deal: ID) -> m.OrderOut:
        return await self._client.call(m.OrderOut, "POST", f"/orders/from-deal/{id_of(deal)}")


class AsyncTasks(AsyncCrud[m.TaskOut]):
    path = "/tasks"
    out_model = m.TaskOut
    create_model = m.TaskCreate
    update_model = m.TaskUpdate

    async def mine(
        self,
        view: Literal["today", "overdue", "upcoming"] = "today",
        *,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> Page[m.TaskOut]:
        """The API key user's open tasks: due today, overdue or upcoming."""
        params = list_params(
            [], sort=None, cursor=cursor, limit=limit, fields=None, extra={"view": view}
        )
        return await self._client.page(m.TaskOut, "GET", "/tasks/mine", params)


class AsyncMeetings(AsyncCrud[m.MeetingOut]):
    path = "/meetings"
    out_model = m.MeetingOut
    create_model = m.MeetingCreate
    update_model = m.MeetingUpdate

    async def ics(self, meeting: ID) -> str:
        """The meeting as an iCalendar file."""
        return (await self._client.send("GET", f"/meetings/{id_of(meeting)}/ics")).text


class AsyncCalls(AsyncCrud[m.CallOut]):
    path = "/calls"
    out_model = m.CallOut
    create_model = m.CallCreate
    update_model = m.CallUpdate


class AsyncNotes(AsyncCrud[m.NoteOut]):
    path = "/notes"
    out_model = m.NoteOut
    create_model = m.NoteCreate
    update_model = m.NoteUpdate


class AsyncLists(AsyncCrud[m.ListOut]):
    """Static and dynamic lists of contacts, leads or accounts, and their members."""

    path = "/lists"
    out_model = m.ListOut
    create_model = m.ListCreate
    update_model = m.ListUpdate

    async def members(
        self,
        list_id: ID,
        *filters: FilterLike,
        cursor: str | None = None,
        limit: int | None = None,
        **where: Any,
    ) -> m.MemberPage:
        filter_list = build(filters, where)
        params = list_params(filter_list, sort=None, cursor=cursor, limit=limit, fields=None)
        return await self._client.call(
            m.MemberPage, "GET", f"/lists/{id_of(list_id)}/members", params=params
        )

    async def add_members(self, list_id: ID, record_ids: Iterable[ID]) -> m.MembersChanged:
        """Add records to a static list (already there: counted as unchanged)."""
        body = {"record_ids": [id_of(r) for r in record_ids]}
        return await self._client.call(
            m.MembersChanged, "POST", f"/lists/{id_of(list_id)}/members", json=body
        )

    async def remove_members(self, list_id: ID, record_ids: Iterable[ID]) -> m.MembersChanged:
        body = {"record_ids": [id_of(r) for r in record_ids]}
        return await self._client.call(
            m.MembersChanged, "DELETE", f"/lists/{id_of(list_id)}/members", json=body
        )

    async def memberships(self, record_type: str, record_id: ID) -> m.Memberships:
        """The lists a record is a member of."""
        extra = {"record_type": record_type, "record_id": id_of(record_id)}
        params = list_params([], sort=None, cursor=None, limit=None, fields=None, extra=extra)
        return await self._client.call(m.Memberships, "GET", "/lists/memberships", params=params)


class AsyncUsers(
    AsyncListing[m.UserOut],
    AsyncGetting[m.UserOut],
    AsyncUpdating[m.UserOut],
):
    path = "/users"
    out_model = m.UserOut
    update_model = m.UserUpdate

    async def create(self, data: Body = None, /, **fields: Any) -> m.UserOut:
        """Create a user (admins). The API takes no Idempotency-Key here, so a failed
        create is not retried (a duplicate email answers Conflict)."""
        return await self._client.call(
            m.UserOut, "POST", "/users", json=body_of(m.UserCreate, data, fields)
        )

    async def me(self) -> m.MeOut:
        return await self._client.call(m.MeOut, "GET", "/me")


class AsyncTeams(AsyncResource):
    async def list(self) -> _list[m.TeamOut]:
        return await self._client.call_list(m.TeamOut, "GET", "/teams")

    async def get(self, team: ID) -> m.TeamOut:
        return await self._client.call(m.TeamOut, "GET", f"/teams/{id_of(team)}")

    async def create(self, data: Body = None, /, **fields: Any) -> m.TeamOut:
        return await self._client.call(
            m.TeamOut, "POST", "/teams", json=body_of(m.TeamCreate, data, fields)
        )

    async def update(
        self, team: ID, data: Body = None, /, *, if_match: int | str | None = None, **fields: Any
    ) -> m.TeamOut:
        return await self._client.call(
            m.TeamOut,
            "PATCH",
            f"/teams/{id_of(team)}",
            json=body_of(m.TeamUpdate, data, fields),
            headers=_if_match(if_match, team),
        )


class AsyncPipelines(AsyncResource):
    async def list(self) -> _list[m.PipelineOut]:
        return await self._client.call_list(m.PipelineOut, "GET", "/pipelines")

    async def create(self, data: Body = None, /, **fields: Any) -> m.PipelineOut:
        return await self._client.call(
            m.PipelineOut, "POST", "/pipelines", json=body_of(m.PipelineCreate, data, fields)
        )

    async def update(self, pipeline: ID, data: Body = None, /, **fields: Any) -> m.PipelineOut:
        return await self._client.call(
            m.PipelineOut,
            "PATCH",
            f"/pipelines/{id_of(pipeline)}",
            json=body_of(m.PipelineUpdate, data, fields),
        )

    async def replace_stages(
        self, pipeline: ID, data: Body = None, /, **fields: Any
    ) -> m.PipelineOut:
        return await self._client.call(
            m.PipelineOut,
            "PUT",
            f"/pipelines/{id_of(pipeline)}/stages",
            json=body_of(m.StagesReplace, data, fields),
        )


class AsyncRouting(AsyncResource):
    """Lead routing: score bands, segments, the SDR queue, working hours; the SLA report."""

    async def settings(self) -> m.RoutingSettings:
        return await self._client.call(m.RoutingSettings, "GET", "/routing/settings")

    async def update_settings(self, data: Body = None, /, **fields: Any) -> m.RoutingSettings:
        """Replace the routing settings (admins); start from ``settings()`` and change it."""
        return await self._client.call(
            m.RoutingSettings,
            "PUT",
            "/routing/settings",
            json=body_of(m.RoutingSettings, data, fields),
        )

    async def sla_report(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> m.SlaReport:
        extra = {"since": since, "until": until}
        params = list_params([], sort=None, cursor=None, limit=None, fields=None, extra=extra)
        return await self._client.call(m.SlaReport, "GET", "/routing/sla-report", params=params)

    async def route(self, lead: ID) -> m.RoutingResult:
        return await self._client.call(
            m.RoutingResult, "POST", f"/routing/leads/{id_of(lead)}/route"
        )


class AsyncScoring(AsyncResource):
    """The lead scoring model: training status, the scorecard, rescoring."""

    async def status(self) -> m.TrainingStatusOut:
        return await self._client.call(m.TrainingStatusOut, "GET", "/scoring/status")

    async def scorecard(self) -> m.ScorecardOut:
        return await self._client.call(m.ScorecardOut, "GET", "/scoring/scorecard")

    async def update_scorecard(self, weights: Mapping[str, Any]) -> m.ScorecardOut:
        """Change scorecard weights (merged over the current ones; admins), e.g.
        ``{"fit": {"industry": {"Software": 10}}}``; leads are rescored when it is in use."""
        body = body_of(m.ScorecardUpdate, {"weights": dict(weights)}, {})
        return await self._client.call(m.ScorecardOut, "PUT", "/scoring/scorecard", json=body)

    async def rescore(self) -> m.RescoreOut:
        return await self._client.call(m.RescoreOut, "POST", "/scoring/rescore")


class AsyncWebhooks(AsyncResource):
    """Outgoing webhooks (admins): endpoints, their deliveries, the host allow-list."""

    async def event_types(self) -> m.WebhookEventTypes:
        return await self._client.call(m.WebhookEventTypes, "GET", "/webhooks/events")

    async def settings(self) -> m.WebhookSettings:
        return await self._client.call(m.WebhookSettings, "GET", "/webhooks/settings")

    async def update_settings(self, *, allowed_hosts: Sequence[str]) -> m.WebhookSettings:
        """Hosts that may be called although they resolve to private addresses."""
        body = body_of(m.WebhookSettings, {"allowed_hosts": _list(allowed_hosts)}, {})
        return await self._client.call(m.WebhookSettings, "PUT", "/webhooks/settings", json=body)

    async def list(self) -> _list[m.Webhook]:
        return (await self._client.call(m.WebhookList, "GET", "/webhooks")).items

    async def get(self, webhook: ID) -> m.Webhook:
        return await self._client.call(m.Webhook, "GET", f"/webhooks/{id_of(webhook)}")

    async def create(
        self,
        url: str,
        events: Sequence[str],
        *,
        description: str | None = None,
        active: bool | None = None,
        idempotency_key: str | None = None,
    ) -> m.WebhookCreated:
        """Create an endpoint; the answer carries its ``secret`` (``whsec_…``), shown only
        now: keep it to verify deliveries with ``verify_webhook``."""
        fields: dict[str, Any] = {"url": url, "events": _list(events)}
        if description is not None:
            fields["description"] = description
        if active is not None:
            fields["active"] = active
        return await self._client.call(
            m.WebhookCreated,
            "POST",
            "/webhooks",
            json=body_of(m.WebhookCreate, fields, {}),
            headers={"Idempotency-Key": idempotency_key or new_idempotency_key()},
        )

    async def update(self, webhook: ID, data: Body = None, /, **fields: Any) -> m.Webhook:
        return await self._client.call(
            m.Webhook,
            "PATCH",
            f"/webhooks/{id_of(webhook)}",
            json=body_of(m.WebhookUpdate, data, fields),
        )

    async def delete(self, webhook: ID) -> None:
        await self._client.send("DELETE", f"/webhooks/{id_of(webhook)}")

    async def rotate_secret(self, webhook: ID) -> m.WebhookSecret:
        return await self._client.call(
            m.WebhookSecret, "POST", f"/webhooks/{id_of(webhook)}/rotate-secret"
        )

    async def deliveries(
        self, webhook: ID, *, status: str | None = None, limit: int | None = None
    ) -> _list[m.WebhookDelivery]:
        params = list_params(
            [], sort=None, cursor=None, limit=limit, fields=None, extra={"status": status}
        )
        answer = await self._client.call(
            m.WebhookDeliveryList, "GET", f"/webhooks/{id_of(webhook)}/deliveries", params=params
        )
        return answer.items

    async def redeliver(self, webhook: ID, delivery: ID) -> m.WebhookDelivery:
        """Send a delivery again (same ``webhook-id``, so receivers can deduplicate)."""
        return await self._client.call(
            m.WebhookDelivery,
            "POST",
            f"/webhooks/{id_of(webhook)}/deliveries/{id_of(delivery)}/redeliver",
        )

    async def ping(self, webhook: ID) -> m.WebhookDelivery:
        """Queue a ``webhook.ping`` message to the endpoint; the delivery is answered."""
        return await self._client.call(
            m.WebhookDelivery, "POST", f"/webhooks/{id_of(webhook)}/ping"
        )


CUSTOMER_PARTS = ("company_info", "deal_history", "communications", "next_actions")


class AsyncEmails(AsyncResource):
    """Mail sent from records: ``send`` renders and queues a message (delivered after the
    server commits), ``list`` and ``get`` show its state, the last SMTP reply and its opens and
    clicks, ``preview`` renders a template against a record without sending;
    the consent of contacts and leads is ``crm.contacts.subscriptions(id)`` (and leads)."""

    async def send(
        self, data: Body = None, /, *, idempotency_key: str | None = None, **fields: Any
    ) -> m.EmailOut:
        """``crm.emails.send(record_type="deal", record_id=deal.id, template_id=…)``. An
        Idempotency-Key is sent (a fresh one unless given): a retried request sends once."""
        headers = {"Idempotency-Key": idempotency_key or new_idempotency_key()}
        return await self._client.call(
            m.EmailOut,
            "POST",
            "/emails",
            json=body_of(m.EmailSend, data, fields),
            headers=headers,
        )

    async def list(
        self,
        *,
        state: str | None = None,
        record_type: str | None = None,
        record: ID | None = None,
        limit: int | None = None,
    ) -> _list[m.EmailOut]:
        extra = {
            "state": state,
            "record_type": record_type,
            "record_id": id_of(record) if record is not None else None,
            "limit": limit,
        }
        params = list_params([], sort=None, cursor=None, limit=None, fields=None, extra=extra)
        return (await self._client.call(m.EmailList, "GET", "/emails", params=params)).items

    async def get(self, email: ID) -> m.EmailOut:
        return await self._client.call(m.EmailOut, "GET", f"/emails/{id_of(email)}")

    async def templates(self, *, kind: str | None = None) -> _list[m.EmailTemplate]:
        """The email templates you can read (campaign steps name them)."""
        extra = {"kind": kind}
        params = list_params([], sort=None, cursor=None, limit=None, fields=None, extra=extra)
        return (
            await self._client.call(m.EmailTemplateList, "GET", "/email-templates", params=params)
        ).items

    async def create_template(self, data: Body = None, /, **fields: Any) -> m.EmailTemplate:
        """A template: ``name``, ``kind`` (marketing …), ``subject``, ``text``, ``html``;
        rendered once against an empty record by the server to check it."""
        return await self._client.call(
            m.EmailTemplate,
            "POST",
            "/email-templates",
            json=body_of(m.EmailTemplateIn, data, fields),
        )

    async def preview(self, data: Body = None, /, **fields: Any) -> m.Rendered:
        return await self._client.call(
            m.Rendered,
            "POST",
            "/email-templates/preview",
            json=body_of(m.PreviewIn, data, fields),
        )

    async def threads(
        self,
        *,
        record_type: str | None = None,
        record: ID | None = None,
        limit: int | None = None,
    ) -> _list[m.EmailThreadSummary]:
        """Conversations holding mail you can read (both directions), newest first; with
        ``record_type`` and ``record``, those of one record."""
        extra = {
            "record_type": record_type,
            "record_id": id_of(record) if record is not None else None,
            "limit": limit,
        }
        params = list_params([], sort=None, cursor=None, limit=None, fields=None, extra=extra)
        return (
            await self._client.call(m.EmailThreadList, "GET", "/email-threads", params=params)
        ).items

    async def thread(self, thread: ID) -> m.EmailThreadOut:
        """One conversation: its messages you can read, oldest first, with attachments."""
        return await self._client.call(m.EmailThreadOut, "GET", f"/email-threads/{id_of(thread)}")

    async def attachment(self, attachment: ID) -> bytes:
        """The bytes of a stored attachment (sent or received)."""
        response = await self._client.send("GET", f"/email-attachments/{id_of(attachment)}")
        return response.content

    async def mailboxes(self) -> _list[m.MailboxOut]:
        """The mailboxes mail is read from that you may see (the password never comes)."""
        return (await self._client.call(m.MailboxList, "GET", "/email/mailboxes")).items

    async def add_mailbox(self, data: Body = None, /, **fields: Any) -> m.MailboxOut:
        """A mailbox ``nexa mail watch`` reads over IMAP: your own (``personal``), or a
        ``shared`` one (support@, sales@; admins)."""
        return await self._client.call(
            m.MailboxOut, "POST", "/email/mailboxes", json=body_of(m.MailboxIn, data, fields)
        )

    async def remove_mailbox(self, mailbox: ID) -> None:
        await self._client.send("DELETE", f"/email/mailboxes/{id_of(mailbox)}")

    async def draft(self, data: Body = None, /, **fields: Any) -> m.DraftOut:
        """``crm.emails.draft(record_type="deal", record_id=deal.id, intent="proposal",
        tone="formal")``: a subject and text from the record's facts (nothing is sent);
        ``generator`` says whether it was made on the server or by its assistant endpoint."""
        return await self._client.call(
            m.DraftOut,
            "POST",
            "/emails/draft",
            json=body_of(m.DraftIn, data, fields),
        )


class AsyncCampaigns(AsyncCrud[m.CampaignOut]):
    """Campaigns (Use Case 4): ``create`` (with ``steps`` or not), ``add_steps``,
    ``enable_optimization``, ``start`` / ``pause`` / ``resume`` / ``complete``, ``enroll``
    (record ids, a list or filters) and ``remove``, ``members``, ``memberships`` of a record,
    and ``goal_event`` for a custom goal. The server's engine runs the steps."""

    path = "/campaigns"
    out_model = m.CampaignOut
    create_model = m.CampaignCreate
    update_model = m.CampaignUpdate

    async def add_steps(
        self, campaign: ID, steps: Iterable[Mapping[str, Any]], *, replace: bool = False
    ) -> m.CampaignOut:
        """Steps after the last (``replace``: all of them, before anyone went through one).
        Each: ``day`` (after enrolment) or ``wait_kind``/``wait_amount``, ``channel``,
        ``template`` (a name) or ``subject``/``body``, ``condition``, ``on_fail``."""
        body = {"steps": [dict(s) for s in steps]}
        if replace:
            return await self._client.call(
                m.CampaignOut, "PUT", f"/campaigns/{id_of(campaign)}/steps", json=body
            )
        return await self._client.call(
            m.CampaignOut, "POST", f"/campaigns/{id_of(campaign)}/steps", json=body
        )

    async def enable_optimization(self, campaign: ID, optimize: Iterable[str]) -> m.CampaignOut:
        """``optimize``: send_time, channel_preference, message_content, sequence_order."""
        return await self._client.call(
            m.CampaignOut,
            "PUT",
            f"/campaigns/{id_of(campaign)}/optimization",
            json={"optimize": list(optimize)},
        )

    async def start(self, campaign: ID) -> m.CampaignOut:
        return await self._client.call(m.CampaignOut, "POST", f"/campaigns/{id_of(campaign)}/start")

    async def schedule(self, campaign: ID, start_at: datetime) -> m.CampaignOut:
        return await self._client.call(
            m.CampaignOut,
            "POST",
            f"/campaigns/{id_of(campaign)}/schedule",
            json={"start_at": start_at.isoformat()},
        )

    async def pause(self, campaign: ID) -> m.CampaignOut:
        return await self._client.call(m.CampaignOut, "POST", f"/campaigns/{id_of(campaign)}/pause")

    async def resume(self, campaign: ID) -> m.CampaignOut:
        return await self._client.call(
            m.CampaignOut, "POST", f"/campaigns/{id_of(campaign)}/resume"
        )

    async def complete(self, campaign: ID) -> m.CampaignOut:
        return await self._client.call(
            m.CampaignOut, "POST", f"/campaigns/{id_of(campaign)}/complete"
        )

    async def enroll(
        self,
        campaign: ID,
        record_ids: Iterable[ID] | None = None,
        *,
        record_type: str | None = None,
        list_id: ID | None = None,
        filters: Iterable[str] | None = None,
    ) -> m.EnrolResult:
        """Enrol leads or contacts: by id (with ``record_type``), a list, or filters."""
        body: dict[str, Any] = {}
        if record_ids is not None:
            body["record_ids"] = [id_of(r) for r in record_ids]
        if record_type is not None:
            body["record_type"] = record_type
        if list_id is not None:
            body["list_id"] = id_of(list_id)
        if filters is not None:
            body["filters"] = list(filters)
        return await self._client.call(
            m.EnrolResult, "POST", f"/campaigns/{id_of(campaign)}/members", json=body
        )

    async def remove(
        self, campaign: ID, record_ids: Iterable[ID], *, record_type: str = "lead"
    ) -> m.CampaignRemoveResult:
        body = {"record_type": record_type, "record_ids": [id_of(r) for r in record_ids]}
        return await self._client.call(
            m.CampaignRemoveResult, "DELETE", f"/campaigns/{id_of(campaign)}/members", json=body
        )

    async def members(
        self, campaign: ID, *, cursor: str | None = None, limit: int | None = None
    ) -> m.CampaignMemberPage:
        extra = {"cursor": cursor, "limit": limit}
        params = list_params([], sort=None, cursor=None, limit=None, fields=None, extra=extra)
        return await self._client.call(
            m.CampaignMemberPage, "GET", f"/campaigns/{id_of(campaign)}/members", params=params
        )

    async def memberships(self, record_type: str, record_id: ID) -> m.CampaignMemberships:
        """The campaigns a lead or contact is (or was) in, and where it is in each."""
        extra = {"record_type": record_type, "record_id": id_of(record_id)}
        params = list_params([], sort=None, cursor=None, limit=None, fields=None, extra=extra)
        return await self._client.call(
            m.CampaignMemberships, "GET", "/campaigns/memberships", params=params
        )

    async def stats(self, campaign: ID) -> m.CampaignStats:
        """Per campaign and per step: enrolled, sent, delivered, opened (people), clicked,
        replied, bounced, unsubscribed, goals; rates, daily series, cost per lead, ROI and
        first-/last-touch and linear attribution of the pipeline and revenue influenced."""
        return await self._client.call(
            m.CampaignStats, "GET", f"/campaigns/{id_of(campaign)}/stats"
        )

    async def goal_event(self, name: str, record_type: str, record_id: ID) -> m.GoalEventResult:
        """A person did the custom goal event ``name``: their sequences with that goal end
        with the goal reached."""
        body = {"name": name, "record_type": record_type, "record_id": id_of(record_id)}
        return await self._client.call(
            m.GoalEventResult, "POST", "/campaigns/goal-events", json=body
        )


class AsyncCustomers(AsyncResource):
    """Views over a customer (a contact and its account) assembled from several calls."""

    async def get_360(
        self,
        customer_id: ID,
        *,
        include: Iterable[str] = CUSTOMER_PARTS,
        timeline_limit: int = 50,
    ) -> Customer360:
        """The contact with, as asked in ``include``: ``company_info`` (account and its
        rollup), ``deal_history`` (deals whose primary contact it is, and the account's),
        ``communications`` (the timeline) and ``next_actions``."""
        parts = set(include)
        unknown = parts - set(CUSTOMER_PARTS)
        if unknown:
            raise ValueError(f"unknown parts {sorted(unknown)}; choose from {CUSTOMER_PARTS}")
        client = self._client
        contact = await client.contacts.get(customer_id)
        view = Customer360(contact=contact)
        if "company_info" in parts and contact.account_id is not None:
            view.account = await client.accounts.get(contact.account_id)
            view.account_rollup = await client.accounts.rollup(contact.account_id)
        if "deal_history" in parts:
            deals = {d.id: d async for d in client.deals.iterate(primary_contact_id=contact.id)}
            if contact.account_id is not None:
                async for deal in client.deals.iterate(account_id=contact.account_id):
                    deals.setdefault(deal.id, deal)
            view.deals = sorted(deals.values(), key=lambda d: d.created_at, reverse=True)
        if "communications" in parts:
            page = await client.timeline("contact", contact.id, limit=timeline_limit)
            view.timeline = page.items
        if "next_actions" in parts:
            view.next_actions = (await client.contacts.next_best_action(contact.id)).items
        return view
