"""The import pages: upload (CSV and XLSX), the column mapping pre-filled from the header, the
dry run report (every bad row with its reason, nothing created), the import itself (as the
API runs it), progress while a background import runs, recent imports, the service's import
permission, and a constant number of SQL statements."""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import func, select

from nexa.core.repository import unscoped
from nexa.imports import service as import_service
from nexa.models import Contact, DataImport, Lead
from tests.factories.imports import csv_text, xlsx_bytes
from tests.web.conftest import count_queries, form_post, sign_in

HTMX = {"HX-Request": "true"}
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def count(db: Any, model: Any, *where: Any) -> int:
    return int(db.scalar(unscoped(select(func.count()).select_from(model).where(*where))))


def upload(
    client: Any, csrf: str, object_type: str, name: str, content: bytes, media: str = CSV
) -> Any:
    return client.post(
        "/imports/upload",
        data={"object_type": object_type, "csrf_token": csrf},
        files={"file": (name, content, media)},
        follow_redirects=False,
    )


def mapping_of(page: str) -> list[tuple[str, str]]:
    """(column header, chosen field) of every row of the mapping table."""
    rows = re.findall(
        r'<tr data-column="([^"]*)">.*?<select id="map-\d+" name="target">(.*?)</select>',
        page,
        re.S,
    )
    out = []
    for header, options in rows:
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', options)
        out.append((header, chosen.group(1) if chosen else ""))
    return out


def start(
    client: Any,
    csrf: str,
    url: str,
    targets: list[str],
    action: str,
    **options: str,
) -> Any:
    pairs = [("target", t) for t in targets]
    pairs += [("action", action), *options.items()]
    return form_post(client, url, csrf, pairs)


def import_id_of(location: str) -> uuid.UUID:
    found = re.match(r"/imports/([0-9a-f-]{36})", location)
    assert found, location
    return uuid.UUID(found.group(1))


def counted(page: str, key: str) -> str:
    found = re.search(rf'data-k="{key}">([^<]*)<', page)
    assert found, page[:3000]
    return found.group(1)


def issue_rows(page: str) -> dict[int, str]:
    return {
        int(n): html
        for n, html in re.findall(r'<tr data-row="(\d+)" data-kind="\w+">(.*?)</tr>', page, re.S)
    }


LEADS = csv_text(
    ["First name", "Last name", "E-mail", "Company", "Favourite colour"],
    [
        ["Ada", "Importa", "ada.importa@example.com", "Acme", "blue"],
        ["Bo", "", "bo.importa@example.com", "Beta", "red"],
        ["Cy", "Importa", "cy.importa@example.com", "Gamma", "green"],
    ],
).encode()


def test_an_upload_leads_to_a_mapping_pre_filled_from_the_header(
    client: Any, db: Any, users: Any
) -> None:
    csrf = sign_in(client, users.admin)
    page = client.get("/imports").text
    assert 'enctype="multipart/form-data"' in page
    for t in ("lead", "contact", "account", "deal"):
        assert f'<option value="{t}"' in page
    r = upload(client, csrf, "lead", "people.csv", LEADS)
    assert r.status_code == 303, r.text[:500]
    assert re.fullmatch(r"/imports/map/[0-9a-f]{32}", r.headers["location"])
    page = client.get(r.headers["location"]).text
    assert mapping_of(page) == [
        ("First name", "first_name"),
        ("Last name", "last_name"),
        ("E-mail", "email"),
        ("Company", "company"),
        ("Favourite colour", ""),
    ]
    assert "ada.importa@example.com" in page  # the first values, to recognise the columns
    assert "Last name (required)" in page
    assert 'value="dry_run"' in page and 'value="import"' in page
    # another person cannot open this upload
    sign_in(client, users.manager)
    assert client.get(r.headers["location"]).status_code == 404


def test_a_dry_run_reports_every_bad_row_and_creates_nothing(
    client: Any, db: Any, users: Any
) -> None:
    csrf = sign_in(client, users.admin)
    url = upload(client, csrf, "lead", "people.csv", LEADS).headers["location"]
    targets = [t for _, t in mapping_of(client.get(url).text)]
    r = start(client, csrf, url, targets, "dry_run")
    assert r.status_code == 303, r.text[:1000]
    page = client.get(r.headers["location"]).text
    assert 'data-testid="dry-run"' in page
    assert counted(page, "created") == "2" and counted(page, "failed") == "1"
    rows = issue_rows(page)
    assert list(rows) == [2]
    assert "Last name" in rows[2] and "last name: is required" in rows[2]
    assert count(db, Lead, Lead.email.like("%.importa@example.com")) == 0
    # run it for real from the report: same file, same mapping
    run = re.search(r'<form method="post" action="(/imports/[^"]+/run[^"]*)"', page)
    assert run, page[:3000]
    r = form_post(client, run.group(1).replace("&amp;", "&"), csrf, {})
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert 'data-testid="dry-run"' not in page
    assert counted(page, "created") == "2"
    assert count(db, Lead, Lead.email.like("%.importa@example.com")) == 2


def test_the_import_creates_the_rows_as_the_api_does(client: Any, db: Any, users: Any) -> None:
    csrf = sign_in(client, users.manager)
    url = upload(client, csrf, "lead", "leads.csv", LEADS).headers["location"]
    targets = [t for _, t in mapping_of(client.get(url).text)]
    targets[4] = "description"  # a column the header did not name
    r = start(client, csrf, url, targets, "import", on_duplicate="skip", create_fuzzy="false")
    assert r.status_code == 303
    import_id = import_id_of(r.headers["location"])
    page = client.get(r.headers["location"]).text
    assert counted(page, "created") == "2" and counted(page, "failed") == "1"
    assert 'data-testid="import-status">Completed<' in page
    assert "every 2s" not in page  # finished: no polling
    leads = db.scalars(unscoped(select(Lead).where(Lead.email.like("%.importa@example.com")))).all()
    assert sorted(lead.first_name for lead in leads) == ["Ada", "Cy"]
    assert {lead.owner_id for lead in leads} == {users.manager.id}
    assert {lead.description for lead in leads} == {"blue", "green"}
    # the upload is used up; the API shows the same import
    assert client.get(url).status_code == 404
    api = client.get(f"/api/v1/imports/{import_id}", headers=users.manager.headers).json()
    assert api["counts"]["created"] == 2 and api["dry_run"] is False
    # it is among the recent imports
    recent = client.get("/imports").text
    assert f'data-import-id="{import_id}"' in recent and "leads.csv" in recent
    # an existing email is a duplicate next time (skipped)
    url = upload(client, csrf, "lead", "again.csv", LEADS).headers["location"]
    r = start(client, csrf, url, targets, "import")
    page = client.get(r.headers["location"]).text
    assert counted(page, "skipped") == "2"
    assert "duplicate" in issue_rows(page)[1]


def test_an_xlsx_file_imports_too(client: Any, db: Any, users: Any) -> None:
    csrf = sign_in(client, users.admin)
    content = xlsx_bytes(
        ["first_name", "last_name", "email"],
        [["Xia", "Sheet", "xia.sheet@example.com"], ["Yan", "Sheet", "yan.sheet@example.com"]],
    )
    r = upload(client, csrf, "contact", "contacts.xlsx", content, XLSX)
    assert r.status_code == 303, r.text[:500]
    page = client.get(r.headers["location"]).text
    assert mapping_of(page) == [
        ("first_name", "first_name"),
        ("last_name", "last_name"),
        ("email", "email"),
    ]
    r = start(client, csrf, r.headers["location"], ["first_name", "last_name", "email"], "import")
    assert r.status_code == 303
    assert counted(client.get(r.headers["location"]).text, "created") == "2"
    assert count(db, Contact, Contact.email.like("%.sheet@example.com")) == 2


def test_a_mapping_the_service_refuses_comes_back_with_the_reason(
    client: Any, db: Any, users: Any
) -> None:
    csrf = sign_in(client, users.admin)
    url = upload(client, csrf, "lead", "people.csv", LEADS).headers["location"]
    targets = ["first_name", "first_name", "email", "company", ""]
    r = start(client, csrf, url, targets, "dry_run")
    assert r.status_code == 422
    assert "both map to first_name" in r.text
    assert mapping_of(r.text)[1] == ("Last name", "first_name")  # the choices are kept
    assert count(db, DataImport, DataImport.filename == "people.csv") == 0


def test_files_the_readers_refuse_are_refused_on_upload(client: Any, db: Any, users: Any) -> None:
    csrf = sign_in(client, users.admin)
    r = upload(client, csrf, "lead", "notes.pdf", b"%PDF-1.4")
    assert r.status_code == 422 and "must be a .csv or .xlsx file" in r.text
    r = upload(client, csrf, "lead", "empty.csv", b"")
    assert r.status_code == 422 and "the file is empty" in r.text
    r = form_post(client, "/imports/upload", csrf, {"object_type": "lead"})
    assert r.status_code == 422 and "choose a CSV or XLSX file" in r.text
    r = upload(client, csrf, "lead", "twice.csv", b"email,email\nx@example.com,y@example.com\n")
    assert r.status_code == 422 and "the header names column &#39;email&#39; twice" in r.text


def test_only_people_with_the_import_permission_may_import(
    client: Any, db: Any, users: Any
) -> None:
    # the role table: sales reps import nothing; marketers leads and contacts
    csrf = sign_in(client, users.rep)
    assert client.get("/imports").status_code == 403
    r = upload(client, csrf, "lead", "people.csv", LEADS)
    assert r.status_code == 403 and "you may not import lead records" in r.text
    csrf = sign_in(client, users.marketer)
    page = client.get("/imports").text
    assert '<option value="lead"' in page and '<option value="contact"' in page
    assert '<option value="account"' not in page and '<option value="deal"' not in page
    r = upload(client, csrf, "account", "accounts.csv", b"name\nAcme\n")
    assert r.status_code == 403
    r = upload(client, csrf, "contact", "contacts.csv", b"last_name\nMarketed\n")
    assert r.status_code == 303
    # an import is seen by whoever started it and by admins
    r = start(client, csrf, r.headers["location"], ["last_name"], "import")
    page_url = r.headers["location"]
    assert client.get(page_url).status_code == 200
    sign_in(client, users.manager)
    assert client.get(page_url).status_code == 404
    sign_in(client, users.admin)
    assert client.get(page_url).status_code == 200


def test_a_large_import_runs_as_a_job_and_the_page_follows_it(
    client: Any, db: Any, users: Any, enqueued_jobs: list[Any]
) -> None:
    rows = [[f"Only{i}"] for i in range(import_service.SYNC_ROWS + 1)]  # no last name: invalid
    csrf = sign_in(client, users.admin)
    url = upload(client, csrf, "lead", "big.csv", csv_text(["first_name"], rows).encode())
    r = start(client, csrf, url.headers["location"], ["first_name"], "import")
    assert r.status_code == 303
    import_id = import_id_of(r.headers["location"])
    assert [name for name, _ in enqueued_jobs] == ["import.run"]  # as the API queues it
    page = client.get(f"/imports/{import_id}").text
    assert 'data-testid="import-status">Pending<' in page
    assert f'hx-get="/imports/{import_id}/progress"' in page and 'hx-trigger="every 2s"' in page
    poll = client.get(f"/imports/{import_id}/progress", headers=HTMX)
    assert poll.status_code == 200 and "every 2s" in poll.text and "<html" not in poll.text
    import_service.run_import_job(db, import_id)  # the worker
    db.commit()
    poll = client.get(f"/imports/{import_id}/progress", headers=HTMX)
    assert poll.headers.get("HX-Refresh") == "true"
    page = client.get(f"/imports/{import_id}").text
    assert "every 2s" not in page
    assert counted(page, "failed") == "1,001"
    assert len(issue_rows(page)) == 200 and 'rel="next"' in page


def test_the_import_pages_cost_the_same_with_1_or_20_rows(client: Any, db: Any, users: Any) -> None:
    csrf = sign_in(client, users.admin)

    def run(n_bad: int, name: str) -> str:
        rows = [[f"Bad{i}", ""] for i in range(n_bad)]
        url = upload(
            client, csrf, "lead", name, csv_text(["first_name", "last_name"], rows).encode()
        )
        r = start(client, csrf, url.headers["location"], ["first_name", "last_name"], "dry_run")
        return str(r.headers["location"]).split("?")[0]

    one_url = run(1, "one.csv")
    client.get(one_url)
    client.get("/imports")
    with count_queries() as one:
        assert client.get(one_url).status_code == 200
    with count_queries() as list_one:
        assert client.get("/imports").status_code == 200
    many_url = run(20, "many.csv")
    for i in range(18):
        run(1, f"more{i}.csv")
    with count_queries() as many:
        page = client.get(many_url)
    assert page.status_code == 200 and len(issue_rows(page.text)) == 20
    with count_queries() as list_many:
        page = client.get("/imports")
    assert page.text.count("data-import-id=") == 20
    assert len(one) == len(many), (len(one), len(many))
    assert len(list_one) == len(list_many), (len(list_one), len(list_many))
