"""Typed errors.

Two families, following DESIGN section 5:
- `InvalidInput` carries `Problem`s the user can fix; mutations turn it into payload `errors`.
- `NexoError` subclasses become GraphQL errors with `extensions.code`.
Anything else reaching the top is an internal error: masked for clients, logged whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class Problem:
    field: str | None
    code: str
    message: str


class InvalidInput(Exception):
    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(p.message for p in self.problems))

    @classmethod
    def one(cls, field: str | None, code: str, message: str) -> InvalidInput:
        return cls([Problem(field, code, message)])


class NexoError(Exception):
    code: ClassVar[str] = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions: dict[str, Any] = {"code": self.code, **details}


class Unauthenticated(NexoError):
    code = "UNAUTHENTICATED"


class Forbidden(NexoError):
    code = "FORBIDDEN"


class NotFound(NexoError):
    code = "NOT_FOUND"


class BadUserInput(NexoError):
    code = "BAD_USER_INPUT"


class Conflict(NexoError):
    code = "CONFLICT"


class RateLimited(NexoError):
    code = "RATE_LIMITED"
