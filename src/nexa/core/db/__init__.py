"""Database kernel: engine, sessions, the declarative base and its mixins."""

from nexa.core.db.base import (
    Base,
    OwnedMixin,
    SoftDeleteMixin,
    TimestampMixin,
    UUIDPkMixin,
    VersionedMixin,
)
from nexa.core.db.engine import get_engine, make_engine, reset_engine
from nexa.core.db.session import session_scope, sessionmaker_for
from nexa.core.db.types import JSONType, UTCDateTime, utcnow

__all__ = [
    "Base",
    "JSONType",
    "OwnedMixin",
    "SoftDeleteMixin",
    "TimestampMixin",
    "UTCDateTime",
    "UUIDPkMixin",
    "VersionedMixin",
    "get_engine",
    "make_engine",
    "reset_engine",
    "session_scope",
    "sessionmaker_for",
    "utcnow",
]
