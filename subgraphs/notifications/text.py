"""Text checks beyond `shared.validation.Checks`.

The GraphQL layer already refuses text PostgreSQL cannot store (NUL, lone surrogates);
these keep the services themselves safe for in-process callers. TODO(shared):
`Checks.text`/`optional` could apply `unstorable_text` themselves.
"""

from __future__ import annotations

from shared.codes import Code
from shared.validation import Checks, unstorable_text


def no_nul(checks: Checks, field: str, value: str | None) -> None:
    if value is not None and (problem := unstorable_text(value)) is not None:
        checks.add(field, Code.INVALID, problem)


def text(checks: Checks, field: str, value: str, *, limit: int = 200) -> str:
    no_nul(checks, field, value)
    return checks.text(field, value, limit=limit)
