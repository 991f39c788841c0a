"""All of the imports' SQL. An import is seen by whoever started it and by admins; the
lookups are deliberate system views (``unscoped``) with that rule written here."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, bindparam, delete, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.repository import Repository, unscoped
from nexa.core.text import text_key
from nexa.models import Account, Contact, DataImport, DataImportIssue, Lead, User

# what an import found in its file rather than was asked to do (new_fields' report)
NOT_SETTINGS = ("fields",)


def _settings_of(mapping: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (mapping or {}).items() if k not in NOT_SETTINGS}


PREFIX_CHUNK = 50


def _raw_id(column: Any) -> Any:
    """An id column as the driver gives it: most candidates are dropped unseen, so the
    UUID is made only for those kept (``as_uuid``)."""
    return type_coerce(column, String)


def as_uuid(value: Any) -> uuid.UUID:
    if isinstance(value, uuid.UUID):  # PostgreSQL's driver makes them itself
        return value
    return uuid.UUID(str(value))


def _any_prefix(column: Any, size: int, *, sqlite: bool, within: Any = None) -> Any:
    """``column`` (a lower-cased text) starts with one of ``size`` prefixes, given as the
    parameters ``_prefix_params`` makes (``within``: a condition joined to each prefix).

    On SQLite as ranges ``lo <= column < hi`` (hi = the prefix with its last character
    moved one up): SQLite's LIKE folds ASCII case only and the column and prefixes are
    lower case already, so both mean "starts with these exact characters" in binary order,
    and ranges use an index on the expression (``ix_leads_company_lower``,
    ``uq_accounts_name_live`` — a partial index, hence ``within`` inside each term).
    PostgreSQL's linguistic collations do not order by code point: there it is a LIKE."""
    extra = [within] if within is not None else []
    if sqlite:
        return or_(
            *(
                and_(column >= bindparam(f"lo{i}"), column < bindparam(f"hi{i}"), *extra)
                for i in range(size)
            )
        )
    return and_(or_(*(column.like(bindparam(f"lo{i}"), escape="\\") for i in range(size))), *extra)


def _prefix_params(prefixes: list[str], *, sqlite: bool) -> dict[str, str]:
    params: dict[str, str] = {}
    for i, p in enumerate(prefixes):
        if sqlite:
            last = ord(p[-1])
            following = min(last + 1, 0x10FFFF)
            if 0xD800 <= following <= 0xDFFF:  # no text holds a surrogate
                following = 0xE000
            high = p[:-1] + chr(following) if last < 0x10FFFF else p + chr(0x10FFFF)
            params[f"lo{i}"], params[f"hi{i}"] = p, high
        else:
            escaped = p.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params[f"lo{i}"] = f"{escaped}%"
    return params


class ImportRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, import_id: uuid.UUID) -> DataImport | None:
        stmt = select(DataImport).where(DataImport.id == import_id)
        return self.session.scalars(unscoped(stmt)).first()

    @staticmethod
    def visible_to(actor: Actor, data_import: DataImport) -> bool:
        return actor.is_admin or (
            actor.user_id is not None and data_import.owner_id == actor.user_id
        )

    def unfinished_twin(
        self,
        actor: Actor,
        *,
        object_type: str,
        sha256: str,
        mapping: dict[str, Any],
        on_duplicate: str,
        create_fuzzy: bool,
    ) -> DataImport | None:
        """The newest import by ``actor`` of the same file and settings that did not finish."""
        stmt = (
            select(DataImport)
            .where(
                DataImport.file_sha256 == sha256,
                DataImport.object_type == object_type,
                DataImport.owner_id == actor.user_id,
                DataImport.status.in_(("pending", "running", "failed")),
                DataImport.on_duplicate == on_duplicate,
                DataImport.create_fuzzy == create_fuzzy,
            )
            .order_by(DataImport.created_at.desc())
        )
        settings = _settings_of(mapping)
        for candidate in self.session.scalars(unscoped(stmt)):
            if _settings_of(candidate.mapping) == settings:
                return candidate
        return None

    def issues(
        self, import_id: uuid.UUID, *, after: int, limit: int, kind: str | None = None
    ) -> list[DataImportIssue]:
        stmt = (
            select(DataImportIssue)
            .where(DataImportIssue.import_id == import_id, DataImportIssue.row_number > after)
            .order_by(DataImportIssue.row_number)
            .limit(limit)
        )
        if kind:
            stmt = stmt.where(DataImportIssue.kind == kind)
        return list(self.session.scalars(stmt))

    @staticmethod
    def _not_written() -> Any:
        """Issues of rows that were not written: invalid ones, skipped duplicates (also twins
        one cannot see) and fuzzy twins left out (see ``service._decide_batch``)."""
        message = DataImportIssue.message
        return or_(
            DataImportIssue.kind == "invalid",
            and_(DataImportIssue.kind == "duplicate", message.like("%; skipped")),
            and_(DataImportIssue.kind == "fuzzy", message.like("%; not created%")),
        )

    def not_written_counts(self, import_id: uuid.UUID) -> list[tuple[str, str | None, str, int]]:
        """(kind, field, message, rows) of the rows not written, most rows first."""
        rows = func.count().label("rows")
        stmt = (
            select(DataImportIssue.kind, DataImportIssue.field, DataImportIssue.message, rows)
            .where(DataImportIssue.import_id == import_id, self._not_written())
            .group_by(DataImportIssue.kind, DataImportIssue.field, DataImportIssue.message)
            .order_by(rows.desc())
        )
        return [(k, f, m, int(n)) for k, f, m, n in self.session.execute(stmt)]

    def not_written_rows(self, import_id: uuid.UUID) -> list[int]:
        """The numbers of the rows not written."""
        stmt = select(DataImportIssue.row_number).where(
            DataImportIssue.import_id == import_id, self._not_written()
        )
        return list(self.session.scalars(stmt))

    def clear_issues(self, import_id: uuid.UUID) -> None:
        self.session.execute(delete(DataImportIssue).where(DataImportIssue.import_id == import_id))

    # ---- what an import compares its rows with ---------------------------------------------

    def twins(self, model: type[Any], field: str, keys: Iterable[str]) -> dict[str, uuid.UUID]:
        """Live records of ``model`` whose ``field``'s key (``<field>_key``, nexa.core.text) is
        one of ``keys``, in one query per 500 keys. A system view: uniqueness sees every
        record, readable or not."""
        column = getattr(model, f"{field}_key")
        found: dict[str, uuid.UUID] = {}
        wanted = sorted({k for k in keys if k})
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            # ``column IS NOT NULL`` lets SQLite use the partial unique index on the key
            stmt = select(model.id, column).where(
                column.in_(chunk),
                model.deleted_at.is_(None),
                column.is_not(None),
            )
            for record_id, key in self.session.execute(unscoped(stmt)):
                found.setdefault(key, record_id)
        return found

    def readable_ids(
        self, repository: type[Repository[Any]], actor: Actor, ids: Iterable[uuid.UUID]
    ) -> set[uuid.UUID]:
        """Those of ``ids`` that ``actor`` reads, one query per 500 ids."""
        repo = repository(self.session)
        model = repo.model
        wanted = sorted(set(ids))
        found: set[uuid.UUID] = set()
        for start in range(0, len(wanted), 500):
            stmt = (
                repo.readable(actor)
                .with_only_columns(model.id)
                .where(model.id.in_(wanted[start : start + 500]))
            )
            found.update(self.session.scalars(stmt))
        return found

    def contacts_by_last_name(
        self, actor: Actor, last_names: list[str]
    ) -> list[tuple[str, Any, Any, uuid.UUID]]:
        """(last name lower-cased, first, last, id) of the readable contacts with one of
        ``last_names`` (lower case), one query per 500 names."""
        from nexa.contact.repository import ContactRepository

        found: list[tuple[str, Any, Any, uuid.UUID]] = []
        for start in range(0, len(last_names), 500):
            stmt = (
                ContactRepository(self.session)
                .readable(actor)
                .with_only_columns(Contact.last_name, Contact.first_name, Contact.id)
                .where(func.lower(Contact.last_name).in_(last_names[start : start + 500]))
            )
            found.extend(
                (last.lower(), first, last, cid) for last, first, cid in self.session.execute(stmt)
            )
        return found

    def people_by_company_prefix(
        self, actor: Actor, prefixes: list[str]
    ) -> Iterator[tuple[str, Any, Any, Any]]:
        """(company, first, last, raw id) of the readable leads, and of the readable contacts
        by their account's name, whose company starts with one of ``prefixes`` (lower case):
        one statement per table, run per chunk of prefixes (the last chunk padded)."""
        from nexa.contact.repository import ContactRepository
        from nexa.lead.repository import LeadRepository

        if not prefixes:
            return
        sqlite = self.session.get_bind().dialect.name == "sqlite"
        size = min(PREFIX_CHUNK, len(prefixes))
        lead_company = func.lower(Lead.company)
        stmt = (
            LeadRepository(self.session)
            .readable(actor)
            .with_only_columns(Lead.company, Lead.first_name, Lead.last_name, _raw_id(Lead.id))
            .where(_any_prefix(lead_company, size, sqlite=sqlite))
        )
        account_name = func.lower(Account.name)
        live_account = Account.deleted_at.is_(None)
        cstmt = (
            ContactRepository(self.session)
            .readable(actor)
            .with_only_columns(
                Account.name, Contact.first_name, Contact.last_name, _raw_id(Contact.id)
            )
            .join(Account, Account.id == Contact.account_id)
            .where(_any_prefix(account_name, size, sqlite=sqlite, within=live_account))
        )
        for start in range(0, len(prefixes), size):
            chunk = prefixes[start : start + size]
            params = _prefix_params(chunk + [chunk[-1]] * (size - len(chunk)), sqlite=sqlite)
            for statement in (stmt, cstmt):
                yield from self.session.execute(statement, params)

    # ---- reading imports ---------------------------------------------------------------------

    def recent(
        self, object_types: list[str], limit: int, owner_id: uuid.UUID | None, everyone: bool
    ) -> list[DataImport]:
        stmt = (
            select(DataImport)
            .where(DataImport.object_type.in_(object_types))
            .order_by(DataImport.created_at.desc())
            .limit(limit)
        )
        if not everyone:
            stmt = stmt.where(DataImport.owner_id == owner_id)
        return list(self.session.scalars(unscoped(stmt)))

    # ---- the stored files ------------------------------------------------------------------

    def finished_with_files(
        self, statuses: tuple[str, ...], *, before: datetime
    ) -> list[DataImport]:
        """Imports in ``statuses`` that finished (or, failed ones, last changed) before
        ``before`` and still have their file. A system view: the sweep sees every import."""
        stmt = select(DataImport).where(
            DataImport.status.in_(statuses),
            DataImport.file_removed_at.is_(None),
            func.coalesce(DataImport.finished_at, DataImport.updated_at) < before,
        )
        return list(self.session.scalars(unscoped(stmt)))

    def with_file(self, import_ids: list[uuid.UUID]) -> set[uuid.UUID]:
        """Which of ``import_ids`` are imports whose file has not been removed."""
        found: set[uuid.UUID] = set()
        for start in range(0, len(import_ids), 500):
            stmt = select(DataImport.id).where(
                DataImport.id.in_(import_ids[start : start + 500]),
                DataImport.file_removed_at.is_(None),
            )
            found.update(as_uuid(i) for i in self.session.scalars(unscoped(stmt)))
        return found

    def active_user(self, email: str | None) -> User | None:
        """The active user with ``email``, or (no email) the first active admin."""
        stmt = select(User).where(User.is_active.is_(True))
        if email:
            stmt = stmt.where(User.email_key == text_key(email))
        else:
            stmt = stmt.where(User.role == "admin").order_by(User.created_at, User.email)
        return self.session.scalars(stmt).first()
