"""Reference data cached per process (``nexa.core.cache``): a write to a watched table
through any session empties the cache at its flush and again when its transaction ends; a
reader that loaded before a change does not store what it read; entries expire."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import update

from nexa.core.cache import TableCache
from nexa.metadata import service as metadata
from nexa.metadata.schemas import CustomFieldCreate
from nexa.models import OrgSetting
from nexa.routing import service as routing
from tests.factories.user import build_org


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _loader(values: list[int]) -> Any:
    def load() -> int:
        values.append(len(values))
        return values[-1]

    return load


def test_a_value_is_loaded_once_until_it_expires() -> None:
    clock = Clock()
    cache = TableCache("test", ["org_settings"], ttl=5, clock=clock)
    loads: list[int] = []
    assert cache.get("k", _loader(loads)) == 0
    assert cache.get("k", _loader(loads)) == 0
    clock.now += 5.1
    assert cache.get("k", _loader(loads)) == 1


def test_a_flushed_write_to_a_watched_table_empties_it(db: Any) -> None:
    cache = TableCache("test", ["org_settings"], ttl=60)
    other = TableCache("other", ["products"], ttl=60)
    loads: list[int] = []
    cache.get("k", _loader(loads))
    other.get("k", _loader(loads))
    db.add(OrgSetting(key=f"test.{uuid.uuid4().hex}", value={}))
    db.flush()
    assert cache.get("k", _loader(loads)) == 2  # read again
    assert other.get("k", _loader(loads)) == 1  # not watching org_settings


def test_a_bulk_statement_empties_it(db: Any) -> None:
    cache = TableCache("test", ["org_settings"], ttl=60)
    loads: list[int] = []
    cache.get("k", _loader(loads))
    db.execute(update(OrgSetting).where(OrgSetting.key == "none").values(value={}))
    assert cache.get("k", _loader(loads)) == 1


def test_the_end_of_the_writing_transaction_empties_it_again(db: Any) -> None:
    cache = TableCache("test", ["org_settings"], ttl=60)
    loads: list[int] = []
    db.add(OrgSetting(key=f"test.{uuid.uuid4().hex}", value={}))
    db.flush()
    cache.get("k", _loader(loads))  # read inside the writing transaction
    db.rollback()
    assert cache.get("k", _loader(loads)) == 1  # the rolled-back state is not kept


def test_a_reader_that_loaded_before_a_change_does_not_store_it(db: Any) -> None:
    cache = TableCache("test", ["org_settings"], ttl=60)
    loads: list[int] = []

    def load_while_someone_writes() -> int:
        value = _loader(loads)()
        db.add(OrgSetting(key=f"test.{uuid.uuid4().hex}", value={}))
        db.flush()  # the change lands after this reader read
        return value

    assert cache.get("k", load_while_someone_writes) == 0
    assert cache.get("k", _loader(loads)) == 1


def test_a_new_custom_field_is_validated_at_once(db: Any) -> None:
    org = build_org(db)
    assert metadata.validate_values(db, "lead", {}) == {}
    metadata.create_definition(
        db,
        org.admin.actor,
        CustomFieldCreate(object_type="lead", key="tier", label="Tier", field_type="text"),
    )
    assert metadata.validate_values(db, "lead", {"tier": "gold"}) == {"tier": "gold"}


def test_changed_routing_settings_apply_at_once(db: Any) -> None:
    org = build_org(db)
    before = routing.load_settings(db)
    routing.put_settings(
        db, org.admin.actor, before.model_copy(update={"enabled": not before.enabled})
    )
    assert routing.load_settings(db).enabled is not before.enabled
