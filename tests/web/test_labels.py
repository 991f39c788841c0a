"""The words the web UI shows for machine values (nexa.web.labels, nexa.web.formats) and
form errors in words (nexa.web.forms.errors_of), issue 18 point 2."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from nexa.lead.schemas import LeadCreate, LeadSourceCreate
from nexa.web.formats import money, phone
from nexa.web.forms import errors_of
from nexa.web.labels import (
    activity_line,
    field_label,
    field_list,
    needs_permission,
    plain_error,
    plain_text,
    plural,
    timeline_sentence,
    value_label,
)


def test_enum_values_and_fields_have_words() -> None:
    assert value_label("demo_request") == "Demo request"
    assert value_label("cold_call") == "Cold call"
    assert value_label("one_time") == "One-time"
    assert value_label("sales_rep") == "Sales rep"
    assert value_label("contacted") == "Contacted"
    assert value_label("11-50") == "11-50"
    assert field_list(["last_contacted_at", "status", "status_changed_at"]) == (
        "Last contacted, Status, Status changed"
    )
    assert field_label("owner_id") == "Owner" and field_label("custom.region") == "Region"
    assert needs_permission("quote:reassign") == "You need permission to reassign quotes"
    assert plain_text("Reassigning needs quote:reassign") == (
        "Changing the owner needs permission to reassign quotes"
    )
    assert plain_text("When to remind; before due_at") == "When to remind; before due"
    assert plural(1, "web form submission") == "1 web form submission"
    assert plural(2, "web form submission") == "2 web form submissions"


def test_stored_messages_in_words() -> None:
    """An import row's stored reason (pydantic's words, field names)."""
    stored = (
        "email: not a valid email address: The email address is not valid. It must have "
        "exactly one @-sign.; company_size: Input should be '1-10', '11-50' or '5001+'; "
        "last_name: Field required; title: String should have at most 200 characters"
    )
    assert plain_error(stored) == (
        "email: must be a valid email address; company size: must be one of the listed "
        "choices; last name: is required; title: can be at most 200 characters"
    )
    kept = "email: not a valid email address: it mixes scripts"
    assert plain_error(kept) == kept


def test_events_are_sentences() -> None:
    def entry(event: str, summary: str, **data: object) -> SimpleNamespace:
        return SimpleNamespace(
            event=event, summary=summary, data=data, actor_name="Jordan Blake", record_type="lead"
        )

    submitted = entry("lead.form_submitted", "Nexa form submitted lead Ada Byron")
    assert timeline_sentence(submitted) == "Submitted the web form"
    changed = entry(
        "lead.updated",
        "Jordan Blake updated lead Ada Byron (last_contacted_at, status, status_changed_at)",
        changes={"last_contacted_at": [None, "x"], "status": ["new", "contacted"],
                 "status_changed_at": [None, "x"]},
    )  # fmt: skip
    assert timeline_sentence(changed) == "Changed Last contacted, Status, Status changed"
    assert activity_line(changed) == (
        "Jordan Blake: Changed Last contacted, Status, Status changed · lead Ada Byron"
    )
    status = entry("lead.updated", "Jordan Blake updated lead Ada (status)",
                   changes={"status": ["new", "contacted"]})  # fmt: skip
    assert timeline_sentence(status) == "Changed status from New to Contacted"
    task = entry(
        "task.created", "Jordan Blake created task Call Ada back",
        source={"record_type": "task", "record_id": "x"},
    )  # fmt: skip
    assert timeline_sentence(task) == "Created task Call Ada back"


def test_money_and_phone_numbers_as_people_write_them() -> None:
    assert money(Decimal("75000"), "USD", 2) == "$75,000.00"
    assert money(Decimal("75000"), "USD") == "$75,000"
    assert money({"amount": "1234.5", "currency": "EUR"}, None, 2) == "€1,234.50"
    assert money(10, "CHF") == "CHF 10" and money(-5, "GBP") == "-£5"
    assert money(None, "USD") == "—"
    assert phone("+14155550142", "US") == "(415) 555-0142"
    assert phone("+442079460990", "US") == "+44 20 7946 0990"
    assert phone("+442079460990", "GB") == "020 7946 0990"
    assert phone("not a number", "US") == "not a number"


def test_domain_errors_name_fields_in_words() -> None:
    from nexa.core.errors import PermissionDenied, ValidationFailed

    refused = ValidationFailed("reminder_at must be before due_at", field="reminder_at")
    assert errors_of(refused) == {"reminder_at": "reminder must be before due"}
    denied = PermissionDenied("converting needs lead:convert and deal:create")
    assert errors_of(denied)["__all__"] == (
        "converting needs permission to convert leads and permission to create deals"
    )


@pytest.mark.parametrize(
    ("model", "data", "field", "message"),
    [
        (LeadCreate, {"last_name": "x", "company": "c" * 201}, "company",
         "can be at most 200 characters"),
        (LeadCreate, {"last_name": "x", "email": "not-an-email"}, "email",
         "must be a valid email address"),
        (LeadCreate, {}, "last_name", "is required"),
        (LeadSourceCreate, {"key": "Not A Key!", "label": "x"}, "key",
         "is not in the expected format"),
    ],
)  # fmt: skip
def test_form_errors_are_words(model: type, data: dict, field: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    errors = errors_of(caught.value)
    assert errors[field] == message
    assert not any("String should" in m or "^" in m for m in errors.values())
