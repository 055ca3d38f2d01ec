"""Typed errors.

Two families, following DESIGN section 5:
- `InvalidInput` carries `Problem`s the user can fix; mutations turn it into payload `errors`.
  A problem's `field` is a path relative to the arguments of the function that found it
  (`lines.2.quantity`, `customerId`); each caller re-roots it onto its own arguments with
  `InvalidInput.under`, so the GraphQL layer finally names the mutation's input path.
- `NexoError` subclasses become GraphQL errors with `extensions.code`.
Anything else reaching the top is an internal error: masked for clients, logged whole.
Every code comes from the registry in `shared.codes`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from shared.codes import Code


@dataclass(frozen=True, slots=True)
class Problem:
    field: str | None
    code: Code
    message: str

    def __post_init__(self) -> None:
        if not isinstance(self.code, Code):
            raise TypeError(f"unregistered error code {self.code!r}")


def join_path(*parts: str | int | None) -> str | None:
    """`join_path("lines", 2, "quantity")` → `lines.2.quantity`; empty parts vanish."""
    kept = [str(p) for p in parts if p is not None and p != ""]
    return ".".join(kept) or None


class InvalidInput(Exception):
    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(p.message for p in self.problems))

    @classmethod
    def one(cls, field: str | None, code: Code, message: str) -> InvalidInput:
        return cls([Problem(field, code, message)])

    def under(self, prefix: str | None, rename: Mapping[str, str] | None = None) -> InvalidInput:
        """The same problems with paths re-rooted: `rename` maps a path's first segment
        (a callee's argument name) onto the caller's name, then `prefix` goes in front.
        Renaming to `""` flattens: a dataclass argument whose fields are the caller's own
        top-level fields (`{"fields": ""}` turns `fields.email` into `email`). A problem
        without a field stays without one."""
        rename = rename or {}

        def moved(field: str | None) -> str | None:
            if field is None:
                return None
            head, _, rest = field.partition(".")
            return join_path(prefix, rename.get(head, head), rest or None)

        exc = InvalidInput([replace(p, field=moved(p.field)) for p in self.problems])
        exc.__cause__ = self.__cause__
        return exc


def not_found(field: str | None, what: str) -> InvalidInput:
    """The mutation-side "not found": a payload error that writes nothing (DESIGN §5)."""
    return InvalidInput.one(field, Code.NOT_FOUND, f"No {what} with this id")


class NexoError(Exception):
    code: ClassVar[Code] = Code.INTERNAL_SERVER_ERROR

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions: dict[str, Any] = {"code": str(self.code), **details}


class Unauthenticated(NexoError):
    code = Code.UNAUTHENTICATED


class Forbidden(NexoError):
    code = Code.FORBIDDEN


class BadUserInput(NexoError):
    code = Code.BAD_USER_INPUT


class Conflict(NexoError):
    code = Code.CONFLICT


class RateLimited(NexoError):
    code = Code.RATE_LIMITED
