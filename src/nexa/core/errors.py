"""Domain errors carry their HTTP status; the API renders them as problem+json (RFC 9457)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status: int = 400
    title: str = "Bad request"
    type_slug: str = "bad-request"

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.errors = errors or ([{"field": field, "message": detail}] if field else [])
        self.extra = extra

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://nexa-crm.dev/problems/{self.type_slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


class ValidationFailed(DomainError):
    status, title, type_slug = 422, "Validation failed", "validation"


class NotFound(DomainError):
    status, title, type_slug = 404, "Not found", "not-found"


class PermissionDenied(DomainError):
    status, title, type_slug = 403, "Forbidden", "forbidden"


class NotAuthenticated(DomainError):
    status, title, type_slug = 401, "Not authenticated", "not-authenticated"


class Conflict(DomainError):
    status, title, type_slug = 409, "Conflict", "conflict"


class PreconditionFailed(DomainError):
    status, title, type_slug = 412, "Precondition failed", "precondition-failed"


class TooManyRequests(DomainError):
    status, title, type_slug = 429, "Too many requests", "too-many-requests"

    def __init__(self, detail: str, *, retry_after: int = 60, **kw: Any) -> None:
        super().__init__(detail, **kw)
        self.retry_after = retry_after


class Locked(DomainError):
    status, title, type_slug = 423, "Locked", "locked"
