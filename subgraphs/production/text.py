"""Text checks beyond `shared.validation.Checks`.

TODO(shared): PostgreSQL refuses NUL characters in text; `Checks.text`/`optional` should
refuse them with one code and message everywhere. Until they do, production checks here
(with the same code and message as purchases).
"""

from __future__ import annotations

from shared.codes import Code
from shared.errors import BadUserInput
from shared.validation import Checks

NUL = "\x00"


def no_nul(checks: Checks, field: str, value: str | None) -> None:
    if value is not None and NUL in value:
        checks.add(field, Code.INVALID, "The text contains a NUL character")


def text(checks: Checks, field: str, value: str, *, limit: int = 200) -> str:
    no_nul(checks, field, value)
    return checks.text(field, value, limit=limit).replace(NUL, "")


def optional(checks: Checks, field: str, value: str | None, *, limit: int = 200) -> str | None:
    no_nul(checks, field, value)
    cleaned = checks.optional(field, value, limit=limit)
    return None if cleaned is None else cleaned.replace(NUL, "")


def search_term(value: str | None) -> str | None:
    """A list filter's free text: blank is no filter; NUL is malformed input."""
    if value is None or not value.strip():
        return None
    if NUL in value or len(value) > 200:
        raise BadUserInput("`search` must be at most 200 characters without NUL", argument="search")
    return value.strip()
