"""Errors the service layers raise; the gRPC layer maps them to google.rpc.Status.

Plain Python on purpose: domain and service code raise these without knowing gRPC.
"""
from __future__ import annotations

from dataclasses import dataclass, field

ERROR_DOMAIN = "prilavok"


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str


class PrilavokError(Exception):
    """Base of every error that maps to a gRPC status.

    `reason` is a stable UPPER_SNAKE_CASE identifier for google.rpc.ErrorInfo;
    `message` is for developers (English); `metadata` adds machine-readable context.
    """

    code = "UNKNOWN"

    def __init__(self, message: str, *, reason: str | None = None, metadata: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.reason = reason or self.code
        self.metadata = dict(metadata or {})


class InvalidArgument(PrilavokError):
    code = "INVALID_ARGUMENT"

    def __init__(self, violations: list[FieldViolation] | FieldViolation, *, reason: str = "INVALID_ARGUMENT"):
        if isinstance(violations, FieldViolation):
            violations = [violations]
        self.violations = list(violations)
        summary = "; ".join(f"{v.field}: {v.description}" for v in self.violations)
        super().__init__(f"invalid argument: {summary}", reason=reason)


class NotFound(PrilavokError):
    code = "NOT_FOUND"


class AlreadyExists(PrilavokError):
    code = "ALREADY_EXISTS"


class FailedPrecondition(PrilavokError):
    code = "FAILED_PRECONDITION"


class PermissionDenied(PrilavokError):
    code = "PERMISSION_DENIED"


class Unauthenticated(PrilavokError):
    code = "UNAUTHENTICATED"


class ResourceExhausted(PrilavokError):
    code = "RESOURCE_EXHAUSTED"


class Unavailable(PrilavokError):
    code = "UNAVAILABLE"


class Aborted(PrilavokError):
    code = "ABORTED"


@dataclass
class Validator:
    """Collects field violations so a request reports all of its problems at once."""

    violations: list[FieldViolation] = field(default_factory=list)

    def add(self, field_name: str, description: str) -> None:
        self.violations.append(FieldViolation(field_name, description))

    def require(self, condition: bool, field_name: str, description: str) -> bool:
        if not condition:
            self.add(field_name, description)
        return condition

    def text(self, value: str, field_name: str, *, max_len: int, required: bool = True) -> None:
        if not value:
            if required:
                self.add(field_name, "must not be empty")
            return
        if len(value) > max_len:
            self.add(field_name, f"must be at most {max_len} characters, got {len(value)}")

    def identifier(self, value: str, field_name: str, *, required: bool = True, max_len: int = 128) -> None:
        """Ids are printable ASCII without spaces; bounded length."""
        if not value:
            if required:
                self.add(field_name, "must not be empty")
            return
        if len(value) > max_len:
            self.add(field_name, f"must be at most {max_len} characters, got {len(value)}")
        elif not value.isascii() or not value.isprintable() or " " in value:
            self.add(field_name, "must be printable ASCII without spaces")

    def raise_if_any(self) -> None:
        if self.violations:
            raise InvalidArgument(self.violations)


def require_ids(**ids: str) -> None:
    """The ids a request must name (printable ASCII, bounded), all problems reported at once."""
    v = Validator()
    for name, value in ids.items():
        v.identifier(value, name)
    v.raise_if_any()
