from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from nexa.core.schemas import InputModel, OutputModel

ObjectType = Literal["lead", "contact", "account", "deal"]
DuplicateMode = Literal["skip", "update"]


class ImportRequest(InputModel):
    """An import sent as JSON (the SDK's way): the file's text, or its bytes in base64."""

    object_type: ObjectType
    filename: str = Field(min_length=1, max_length=300, description="Ends in .csv or .xlsx")
    content: str | None = Field(None, description="The CSV text")
    content_base64: str | None = Field(None, description="The file's bytes (XLSX) in base64")
    mapping: dict[str, str] | None = Field(
        None, max_length=500, description='{"Column header": "field"}; "" ignores a column'
    )
    on_duplicate: DuplicateMode = "skip"
    create_fuzzy: bool = False
    dry_run: bool = False
    batch_size: int = Field(2000, ge=1, le=5000)
    new_fields: bool = Field(
        False,
        description="Columns naming no field become custom fields typed from the file "
        "(number, boolean or text); needs custom field rights (admins)",
    )
    historical: bool = Field(
        False,
        description="Leads and deals, admins: lead rows may carry created_at, converted_at, "
        "status_changed_at and a converted or lost status; deal rows created_at, "
        "stage_entered_at (or stage_changed_at), closed_at and stage_history "
        "(stage@date;stage@date…, oldest first)",
    )


class ImportCounts(OutputModel):
    created: int
    updated: int
    skipped: int = Field(description="Exact duplicates skipped")
    failed: int = Field(description="Invalid rows")
    fuzzy: int = Field(description="Rows with fuzzy duplicate candidates")


class ImportIssueOut(OutputModel):
    row_number: int = Field(description="1-based data row; the header row is not counted")
    kind: str = Field(description="invalid, duplicate or fuzzy")
    field: str | None = None
    message: str
    record_id: uuid.UUID | None = None


class NewFieldOut(OutputModel):
    column: str = Field(description="The file's header")
    key: str
    label: str
    field_type: str = Field(description="number, boolean or text (from the file's values)")
    created: bool = Field(description="False in a dry run: the field would be created")


class ImportOut(OutputModel):
    id: uuid.UUID
    object_type: str
    filename: str
    status: str
    dry_run: bool
    on_duplicate: str
    create_fuzzy: bool
    mapping: dict[str, str]
    batch_size: int
    rows_total: int | None = None
    rows_done: int
    counts: ImportCounts
    error: str | None = None
    owner_id: uuid.UUID | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    file_removed_at: datetime | None = Field(
        None, description="When the uploaded file was deleted (retention after the import)"
    )
    issues: list[ImportIssueOut] | None = Field(
        None, description="Dry runs: the first issues (all of them via /issues)"
    )
    new_fields: bool = False
    historical: bool = False
    fields: list[NewFieldOut] | None = Field(
        None, description="new_fields: the custom fields created (dry run: that would be)"
    )


class ImportIssuePage(OutputModel):
    items: list[ImportIssueOut]
    next_after: int | None = Field(None, description="Pass as ?after= for the next page")
